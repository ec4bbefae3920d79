import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { createCustomersClient } from '@b2b/contracts/customers';
import type { OrdersApiEvent } from '@b2b/contracts/events';
import { document, type paths } from '@b2b/contracts/orders';
import {
  contractRouter,
  createCursorKey,
  createServiceApp,
  listFeedEvents,
  type ApiHandlers,
  type AuthConfig,
  type Database,
  type EventRelay,
  type Logger,
} from '@b2b/service-kit';
import { ORDERS_OUTBOX } from './events';
import { createOrdersMetrics, type OrdersMetrics } from './metrics';
import { orderHandlers } from './orders/routes';
import { productHandlers } from './products/routes';
import { statsHandlers } from './stats/routes';
import type { LookupFunction } from './webhooks/url-policy';
import { webhookHandlers } from './webhooks/routes';

export interface OrdersAppOptions {
  db: Database;
  auth: AuthConfig;
  logger: Logger;
  customersApiBase: string;
  customersApiTimeoutMs?: number;
  idempotencyKeyTtlHours?: number;
  abandonedClaimSeconds?: number;
  cancelWindowMinutes?: number;
  /** ORDER_RESERVATION_TTL_MINUTES (default 30; 0: reservations never expire), which GET /stats/backlog reports. */
  reservationTtlMinutes?: number;
  /**
   * CURSOR_SECRET, the key of list cursors. Without it a random key is made: cursors then
   * hold only within this app (enough for a test); a server passes the configured secret
   * so every replica and restart accepts them.
   */
  cursorSecret?: string;
  /** Turns a response that violates the contract into a 500: on in tests. */
  validateResponses?: boolean;
  /** Origins whose browser pages may call this API (CORS); none when absent. */
  corsAllowedOrigins?: string[];
  /** EVENTS: `off` writes no events (default `on`). */
  events?: 'on' | 'off';
  /** The event relay of this process, whose state /health reports; none (`off`) when absent, as in most tests. */
  eventRelay?: Pick<EventRelay, 'state'>;
  /** Its counters, served at GET /metrics; new ones when absent (the server shares them with the sweep). */
  metrics?: OrdersMetrics;
  /**
   * Webhook endpoints: WEBHOOK_ALLOWED_HOSTS (default none: https to public addresses only),
   * WEBHOOK_SECRET_OVERLAP_HOURS (default 24) and how host names resolve (DNS by default;
   * tests pass their own, so no test depends on real DNS).
   */
  webhooks?: { allowedHosts: string[]; secretOverlapHours: number; lookup?: LookupFunction };
}

/** Builds the Orders API (no listen): the contract, its validation and auth, and the handlers. */
export function createOrdersApp(options: OrdersAppOptions): Express {
  const customers = createCustomersClient({
    baseUrl: options.customersApiBase,
    bearerToken: options.auth.serviceToken,
    timeoutMs: options.customersApiTimeoutMs ?? 3000,
  });
  const cursorKey = createCursorKey(options.cursorSecret ?? randomBytes(32));
  const metrics = options.metrics ?? createOrdersMetrics();
  const outbox = options.events === 'off' ? undefined : ORDERS_OUTBOX;
  const handlers: ApiHandlers<paths> = {
    ...productHandlers(options.db, cursorKey, outbox),
    '/events': {
      get: async ({ query }) => ({
        status: 200,
        body: await listFeedEvents<OrdersApiEvent>(options.db, ORDERS_OUTBOX, query, cursorKey),
      }),
    },
    ...orderHandlers({
      db: options.db,
      customers,
      idempotencyKeyTtlHours: options.idempotencyKeyTtlHours ?? 24,
      abandonedClaimSeconds: options.abandonedClaimSeconds ?? 120,
      cancelWindowMinutes: options.cancelWindowMinutes ?? 10,
      cursorKey,
      metrics,
      logger: options.logger,
      outbox,
    }),
    ...statsHandlers(options.db, { reservationTtlMinutes: options.reservationTtlMinutes ?? 30 }),
    ...webhookHandlers({
      db: options.db,
      cursorKey,
      allowedHosts: options.webhooks?.allowedHosts ?? [],
      secretOverlapHours: options.webhooks?.secretOverlapHours ?? 24,
      lookup: options.webhooks?.lookup,
    }),
  };
  return createServiceApp({
    contract: document,
    db: options.db,
    auth: options.auth,
    logger: options.logger,
    routes: contractRouter<paths>(document, handlers),
    validateResponses: options.validateResponses,
    corsAllowedOrigins: options.corsAllowedOrigins,
    metrics: metrics.registry,
    eventRelay: options.eventRelay,
  });
}
