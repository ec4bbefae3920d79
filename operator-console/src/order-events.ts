import type { Order, OrderEvent } from './contract-types';

/** One page of GET /events, as openapi-fetch resolves it. */
export interface EventPageResult {
  data?: { data: OrderEvent[]; next_cursor: string };
  error?: unknown;
  response: Response;
}

/** Events per request (the feed's largest page). */
export const EVENT_PAGE_SIZE = 100;
/** Pages read before the timeline stops and offers "Read further" (1,000 events). */
export const MAX_EVENT_PAGES = 10;

/**
 * How many events an order has made: created, then confirmed and canceled when it was
 * (the Orders API's subjectsequence counts the same transitions, which only move forward).
 */
export function expectedEventCount(order: Pick<Order, 'confirmed_at' | 'canceled_at'>): number {
  return 1 + (order.confirmed_at === null ? 0 : 1) + (order.canceled_at === null ? 0 : 1);
}

export interface OrderEventsRead {
  /** The order's events found so far, by subjectsequence (created first). */
  events: OrderEvent[];
  /** Where a "Read further" continues; undefined once the reading is settled. */
  cursor: string | undefined;
  /**
   * Why the reading stopped: every event of the order found; the end of the feed (the rest
   * are not numbered yet, moments after the change); every event of the order is older than
   * the feed keeps (OUTBOX_RETENTION_HOURS); the page bound.
   */
  outcome: 'complete' | 'end-of-feed' | 'expired' | 'bounded';
  /** The failed call's result, if one failed (the events found before it are kept). */
  failed?: EventPageResult;
}

/**
 * An order's events from GET /events. The feed has no subject filter and starts at the oldest
 * event it keeps (oldest first; `after` is an opaque cursor, so no jump to a time), so the
 * only way to an order's events is reading forward from there, keeping those whose subject
 * is `orders/<id>` (de-duplicated on `id`: the feed is at least once). Reading stops:
 *   - as soon as all the order's events are found (`expectedEventCount`: the order says how
 *     many it has made, so a recent order costs no more than the pages up to its last change);
 *   - at the end of the feed (a page shorter than the limit: an event committed moments ago
 *     may not be numbered by the relay yet);
 *   - at once when the oldest event kept is newer than the order's last change: retention
 *     has deleted every event of that order, reading on would find nothing;
 *   - after `maxPages` pages, with the cursor to read further on request, so an old order
 *     in a long feed never makes the screen read thousands of events unasked.
 * A type filter would not help: `after` is valid with one `type` only, so the three order.*
 * types would be three readings of the same length.
 */
export async function readOrderEvents(
  order: Pick<Order, 'id' | 'confirmed_at' | 'canceled_at' | 'updated_at'>,
  fetchPage: (after: string | undefined) => Promise<EventPageResult>,
  options: { after?: string; found?: OrderEvent[]; maxPages?: number; pageSize?: number } = {},
): Promise<OrderEventsRead> {
  const { maxPages = MAX_EVENT_PAGES, pageSize = EVENT_PAGE_SIZE } = options;
  const subject = `orders/${order.id}`;
  const expected = expectedEventCount(order);
  const found = new Map((options.found ?? []).map((event) => [event.id, event]));
  const sorted = () => [...found.values()].sort((a, b) => a.subjectsequence - b.subjectsequence);
  let cursor = options.after;
  for (let page = 0; page < maxPages; page += 1) {
    if (found.size >= expected) return { events: sorted(), cursor: undefined, outcome: 'complete' };
    const result = await fetchPage(cursor);
    if (!result.data) return { events: sorted(), cursor, outcome: 'bounded', failed: result };
    const { data, next_cursor } = result.data;
    const oldest = data[0];
    if (
      cursor === undefined &&
      oldest &&
      Date.parse(oldest.time) > Date.parse(order.updated_at) &&
      found.size === 0
    )
      return { events: [], cursor: undefined, outcome: 'expired' };
    for (const event of data) if (event.subject === subject) found.set(event.id, event);
    cursor = next_cursor;
    if (found.size >= expected) return { events: sorted(), cursor: undefined, outcome: 'complete' };
    if (data.length < pageSize) return { events: sorted(), cursor: undefined, outcome: 'end-of-feed' };
  }
  return { events: sorted(), cursor, outcome: 'bounded' };
}

/** An order.canceled event's cancel_source (CLIENT, ORCHESTRATOR_COMPENSATION, RESERVATION_EXPIRY). */
export function cancelSourceOf(event: OrderEvent): string | undefined {
  if (event.type !== 'order.canceled') return undefined;
  const data = event.data as Partial<Order> | undefined;
  return data?.cancel_source ?? undefined;
}
