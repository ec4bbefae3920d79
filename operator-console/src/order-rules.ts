import type { Order, Problem } from './contract-types';

// What the console can know about an order's next transitions, from the contract: only a
// CREATED order can be confirmed; a CREATED order can always be canceled, a CONFIRMED one
// only within the cancel window after `confirmed_at`. The Orders API decides in the end
// (on the database clock), so these only enable buttons.

export function canConfirm(order: Order): boolean {
  return order.status === 'CREATED';
}

export type CancelAvailability =
  | { kind: 'open'; until?: number }
  | { kind: 'window-closed'; closedAt: number }
  | { kind: 'already-canceled' };

export function cancelAvailability(order: Order, now: number, windowMinutes: number): CancelAvailability {
  if (order.status === 'CANCELED') return { kind: 'already-canceled' };
  if (order.status === 'CREATED') return { kind: 'open' };
  const closesAt = cancelWindowEnd(order, windowMinutes);
  if (closesAt === undefined) return { kind: 'open' };
  return now < closesAt ? { kind: 'open', until: closesAt } : { kind: 'window-closed', closedAt: closesAt };
}

/** When a CONFIRMED order stops being cancelable (epoch ms), or undefined for other orders. */
export function cancelWindowEnd(order: Order, windowMinutes: number): number | undefined {
  if (order.status !== 'CONFIRMED' || !order.confirmed_at) return undefined;
  return Date.parse(order.confirmed_at) + windowMinutes * 60_000;
}

/**
 * What the next attempt to place an order is after a failed one
 * (POST /orchestrator/create-and-confirm-order), by the rule the contract gives its
 * idempotency key: the same key is the same request, answered from its record.
 *
 * - `same-request` (keep the key, "Place order again"): answers a retry can settle, because
 *   the outcome is unknown or the request has not been dealt with yet. No answer at all
 *   (the console's own 503 `NO_ANSWER`, its proxy's 502 `CONSOLE_PROXY_ERROR`), 502
 *   `ORDER_STATE_UNKNOWN` or `UPSTREAM_UNAVAILABLE`, 503, 504, a 500 or a gateway's bare 5xx
 *   (an order may exist, and only its key finds it: a new key could place it twice), 409
 *   `IDEMPOTENCY_KEY_IN_PROGRESS` and 429 (not dealt with yet: try again shortly).
 * - `new-request` (a new key, "Place order"): definite answers, which the same key would
 *   only repeat. 502 `ORDER_CONFIRMATION_FAILED` (the order was canceled: the same key
 *   gets 409 `ORDER_CANCELED` for good), 409 `INSUFFICIENT_STOCK`, `ORDER_CANCELED`,
 *   `IDEMPOTENCY_KEY_REUSED`, 404 `CUSTOMER_NOT_FOUND`, 422, every 400 and the other 4xx.
 *
 * `INSUFFICIENT_STOCK` is a new request too, not a button disabled until the order is
 * changed: the stock is not the operator's order (it can be added on the Products screen or
 * freed by a cancel in the meantime), so placing the same order later is a fair new
 * attempt, and a refused one reserved nothing. The alert names the product and what is
 * available; changing a quantity makes it another order anyway.
 */
export type NextAttempt = 'same-request' | 'new-request';

export function nextAttemptAfter(problem: Pick<Problem, 'status' | 'code'>): NextAttempt {
  if (problem.status >= 500)
    return problem.code === 'ORDER_CONFIRMATION_FAILED' ? 'new-request' : 'same-request';
  if (problem.status === 429) return 'same-request';
  if (problem.status === 409 && problem.code === 'IDEMPOTENCY_KEY_IN_PROGRESS') return 'same-request';
  return 'new-request';
}
