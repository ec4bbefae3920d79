import { describe, expect, it } from 'vitest';
import type { Order } from '../src/contract-types';
import { canConfirm, cancelAvailability, nextAttemptAfter } from '../src/order-rules';

const CONFIRMED_AT = Date.parse('2026-11-23T09:30:00.000Z');
const MINUTE = 60_000;

function buildOrder(overrides: Partial<Order>): Order {
  return {
    id: 3,
    customer_id: 1,
    customer: {
      id: 1,
      name: 'Acme Industrial Supply',
      email: 'purchasing@acme-industrial.example',
      phone: null,
    },
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

describe('the next attempt to place an order after a failed one', () => {
  it.each([
    [503, 'NO_ANSWER', 'no answer reached the browser'],
    [502, 'CONSOLE_PROXY_ERROR', "the console's proxy got no answer"],
    [502, 'ORDER_STATE_UNKNOWN', 'whether the order is confirmed is unknown'],
    [502, 'UPSTREAM_UNAVAILABLE', 'an API was down'],
    [502, 'UNEXPECTED_RESPONSE', "a gateway's bare 502"],
    [503, 'UNEXPECTED_RESPONSE', "a gateway's bare 503"],
    [504, 'UPSTREAM_TIMEOUT', 'an API did not answer in time'],
    [500, 'INTERNAL_ERROR', 'the orchestrator failed unforeseen, an order may exist'],
    [409, 'IDEMPOTENCY_KEY_IN_PROGRESS', 'the first request is still running'],
    [429, 'TOO_MANY_REQUESTS', 'nothing was done yet'],
  ])(
    'when the answer is %i %s (%s), then a retry can settle it: the same request, same key',
    (status, code) => {
      expect(nextAttemptAfter({ status, code })).toBe('same-request');
    },
  );

  it.each([
    [502, 'ORDER_CONFIRMATION_FAILED', 'the order was canceled: the same key only gets 409 ORDER_CANCELED'],
    [409, 'INSUFFICIENT_STOCK', 'refused as it stands: a later attempt is a new one'],
    [409, 'ORDER_CANCELED', "the key's order is canceled for good"],
    [409, 'IDEMPOTENCY_KEY_REUSED', 'the key belongs to another request'],
    [404, 'CUSTOMER_NOT_FOUND', 'the customer is gone'],
    [422, 'PRODUCT_NOT_FOUND', 'a product is gone'],
    [400, 'VALIDATION_FAILED', 'the input must change'],
    [401, 'UNAUTHORIZED', 'nothing was done'],
  ])('when the answer is %i %s (%s), then it is final: a new request, new key', (status, code) => {
    expect(nextAttemptAfter({ status, code })).toBe('new-request');
  });
});
