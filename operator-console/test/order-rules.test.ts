import { describe, expect, it } from 'vitest';
import type { Order } from '../src/contract-types';
import { canConfirm, cancelAvailability } from '../src/order-rules';

const CONFIRMED_AT = Date.parse('2026-11-23T09:30:00.000Z');
const MINUTE = 60_000;

function buildOrder(overrides: Partial<Order>): Order {
  return {
    id: 3,
    customer_id: 1,
    status: 'CREATED',
    total_cents: 2900,
    items: [
      {
        product_id: 1,
        sku: 'PAL-EUR-1200',
        name: 'Euro pallet',
        qty: 2,
        unit_price_cents: 1450,
        subtotal_cents: 2900,
      },
    ],
    created_at: '2026-11-23T09:29:00.000Z',
    updated_at: '2026-11-23T09:29:00.000Z',
    confirmed_at: null,
    canceled_at: null,
    cancel_source: null,
    cancel_reason: null,
    ...overrides,
  };
}

const confirmed = buildOrder({ status: 'CONFIRMED', confirmed_at: new Date(CONFIRMED_AT).toISOString() });

describe('the transitions the console offers', () => {
  it('when an order is CREATED, then it can be confirmed and canceled', () => {
    const order = buildOrder({});
    expect(canConfirm(order)).toBe(true);
    expect(cancelAvailability(order, CONFIRMED_AT, 10)).toEqual({ kind: 'open' });
  });

  it('when an order was confirmed less than the window ago, then it can be canceled until the window ends', () => {
    expect(canConfirm(confirmed)).toBe(false);
    expect(cancelAvailability(confirmed, CONFIRMED_AT + 10 * MINUTE - 1, 10)).toEqual({
      kind: 'open',
      until: CONFIRMED_AT + 10 * MINUTE,
    });
  });

  it('when the window has passed, then canceling is closed, from its last millisecond on', () => {
    expect(cancelAvailability(confirmed, CONFIRMED_AT + 10 * MINUTE, 10)).toEqual({
      kind: 'window-closed',
      closedAt: CONFIRMED_AT + 10 * MINUTE,
    });
    expect(cancelAvailability(confirmed, CONFIRMED_AT + 30 * MINUTE, 60).kind).toBe('open');
  });

  it('when an order is CANCELED, then nothing is offered', () => {
    const canceled = buildOrder({
      status: 'CANCELED',
      canceled_at: '2026-11-23T09:31:00.000Z',
      cancel_source: 'CLIENT',
    });
    expect(canConfirm(canceled)).toBe(false);
    expect(cancelAvailability(canceled, CONFIRMED_AT, 10)).toEqual({ kind: 'already-canceled' });
  });
});
