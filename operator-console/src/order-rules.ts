import type { Order } from './contract-types';

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
