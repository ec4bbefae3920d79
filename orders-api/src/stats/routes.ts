import type { paths } from '@b2b/contracts/orders';
import type { ApiHandlers, Database } from '@b2b/service-kit';
import { getOrderBacklog, getOrdersPerDay } from './stats';

/** The expiring_within_minutes of GET /stats/backlog when the query has none (the contract's default). */
const DEFAULT_EXPIRING_WITHIN_MINUTES = 15;

export function statsHandlers(
  db: Database,
  options: { reservationTtlMinutes: number },
): Pick<ApiHandlers<paths>, '/stats/orders-per-day' | '/stats/backlog'> {
  return {
    '/stats/orders-per-day': {
      get: async ({ query }) => ({ status: 200, body: await getOrdersPerDay(db, query) }),
    },
    '/stats/backlog': {
      get: async ({ query }) => ({
        status: 200,
        body: await getOrderBacklog(db, {
          ttlMinutes: options.reservationTtlMinutes,
          withinMinutes: query.expiring_within_minutes ?? DEFAULT_EXPIRING_WITHIN_MINUTES,
        }),
      }),
    },
  };
}
