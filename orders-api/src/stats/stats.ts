import type { components } from '@b2b/contracts/orders';
import type { Queryable } from '@b2b/service-kit';
import { offsetSegments, readCalendarRange } from './calendar-days';
import { countOrdersPerLocalDay, readBacklog } from './stats-repository';

export type OrdersPerDay = components['schemas']['OrdersPerDay'];
export type OrderBacklog = components['schemas']['OrderBacklog'];
type DayOfOrders = components['schemas']['DayOfOrders'];

const MINUTE_MS = 60_000;

const emptyDay = (date: string): DayOfOrders => ({
  date,
  orders: 0,
  total_cents: 0,
  by_status: {
    CREATED: { orders: 0, total_cents: 0 },
    CONFIRMED: { orders: 0, total_cents: 0 },
    CANCELED: { orders: 0, total_cents: 0 },
  },
});

/**
 * Orders and their totals per local day of `time_zone` from `from` to `to` (inclusive), every
 * day present, zero-filled. A bad date, range or zone is ValidationFailed (400) naming it.
 */
export async function getOrdersPerDay(
  db: Queryable,
  query: { from: string; to: string; time_zone?: string },
): Promise<OrdersPerDay> {
  const range = readCalendarRange(query);
  const counts = await countOrdersPerLocalDay(db, offsetSegments(range));
  const days = new Map(range.days.map((date) => [date, emptyDay(date)]));
  for (const count of counts) {
    const day = days.get(count.day);
    // The segments end where the range does, so every row falls on one of its days.
    if (!day) throw new Error(`Orders per day: ${count.day} is outside ${range.from}..${range.to}`);
    day.orders += count.orders;
    day.total_cents += count.totalCents;
    day.by_status[count.status].orders += count.orders;
    day.by_status[count.status].total_cents += count.totalCents;
  }
  return { time_zone: range.timeZone, from: range.from, to: range.to, days: [...days.values()] };
}

/**
 * The CREATED backlog now (the database clock). A reservation expires `ttlMinutes` after its
 * order was placed: `expiring` counts those expiring within `withinMinutes`, or already
 * expired and waiting for the sweep, and `next_expiry_at` is the oldest one's expiry (before
 * `as_of` when it waits for the sweep). A TTL of 0 means reservations never expire.
 */
export async function getOrderBacklog(
  db: Queryable,
  options: { ttlMinutes: number; withinMinutes: number },
): Promise<OrderBacklog> {
  const backlog = await readBacklog(db, options);
  const expires = options.ttlMinutes > 0 && backlog.oldestCreatedAt !== null;
  return {
    as_of: backlog.asOf.toISOString(),
    created: backlog.created,
    created_total_cents: backlog.createdTotalCents,
    oldest_created_at: backlog.oldestCreatedAt?.toISOString() ?? null,
    reservation_ttl_minutes: options.ttlMinutes,
    expiring_within_minutes: options.withinMinutes,
    expiring: backlog.expiring,
    next_expiry_at: expires
      ? new Date(backlog.oldestCreatedAt!.getTime() + options.ttlMinutes * MINUTE_MS).toISOString()
      : null,
  };
}
