import { describe, expect, it } from 'vitest';
import type { OrderEvent } from '../src/contract-types';
import {
  cancelSourceOf,
  expectedEventCount,
  readOrderEvents,
  type EventPageResult,
} from '../src/order-events';

let sequence = 0;
function event(subject: string, type: string, time: string, subjectsequence = 1): OrderEvent {
  sequence += 1;
  return {
    specversion: '1.0',
    id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    type,
    source: '/b2b/orders-api',
    subject,
    subjectsequence,
    time,
    datacontenttype: 'application/json',
    correlationid: `corr-${sequence}`,
    data: type === 'order.canceled' ? { cancel_source: 'CLIENT' } : {},
  } as OrderEvent;
}

/** A feed of `events` in pages of `pageSize`, counting the calls. */
function feed(events: OrderEvent[], pageSize: number) {
  const calls: (string | undefined)[] = [];
  const fetchPage = (after: string | undefined): Promise<EventPageResult> => {
    calls.push(after);
    const start = after === undefined ? 0 : Number(after);
    const page = events.slice(start, start + pageSize);
    return Promise.resolve({
      data: { data: page, next_cursor: String(start + page.length) },
      response: new Response(null, { status: 200 }),
    });
  };
  return { calls, fetchPage };
}

const order = {
  id: 7,
  confirmed_at: '2026-12-06T10:01:00.000Z',
  canceled_at: '2026-12-06T10:02:00.000Z',
  updated_at: '2026-12-06T10:02:00.000Z',
};
const noise = (count: number, time = '2026-12-06T10:00:30.000Z') =>
  Array.from({ length: count }, () => event('products/1', 'product.updated', time));

describe('reading an order’s events from the feed', () => {
  it('when the order has made three changes, then reading stops at the page holding its third event', async () => {
    const events = [
      ...noise(5),
      event('orders/7', 'order.created', '2026-12-06T10:00:00.000Z', 1),
      ...noise(4),
      event('orders/7', 'order.confirmed', '2026-12-06T10:01:00.000Z', 2),
      event('orders/70', 'order.created', '2026-12-06T10:01:30.000Z'),
      event('orders/7', 'order.canceled', '2026-12-06T10:02:00.000Z', 3),
      ...noise(30),
    ];
    const { calls, fetchPage } = feed(events, 5);
    const read = await readOrderEvents(order, fetchPage, { pageSize: 5 });
    expect(read.outcome).toBe('complete');
    expect(read.events.map((found) => found.type)).toEqual([
      'order.created',
      'order.confirmed',
      'order.canceled',
    ]);
    expect(cancelSourceOf(read.events[2]!)).toBe('CLIENT');
    expect(calls).toHaveLength(3);
  });

  it('when the feed ends before the order’s last event, then it says so and keeps what it found', async () => {
    const events = [...noise(3), event('orders/7', 'order.created', '2026-12-06T10:00:00.000Z', 1)];
    const read = await readOrderEvents(order, feed(events, 5).fetchPage, { pageSize: 5 });
    expect(read.outcome).toBe('end-of-feed');
    expect(read.events).toHaveLength(1);
  });

  it('when the oldest event kept is newer than the order’s last change, then it reads one page only', async () => {
    const { calls, fetchPage } = feed(noise(50, '2026-12-20T00:00:00.000Z'), 5);
    const read = await readOrderEvents(order, fetchPage, { pageSize: 5 });
    expect(read).toEqual({ events: [], cursor: undefined, outcome: 'expired' });
    expect(calls).toHaveLength(1);
  });

  it('when the page bound is reached, then reading further continues from the cursor with what was found', async () => {
    const events = [
      event('orders/7', 'order.created', '2026-12-06T10:00:00.000Z', 1),
      ...noise(20),
      event('orders/7', 'order.confirmed', '2026-12-06T10:01:00.000Z', 2),
      event('orders/7', 'order.canceled', '2026-12-06T10:02:00.000Z', 3),
      // The feed is at least once: a copy is kept once.
      ...noise(5),
    ];
    events.push({ ...events[0]! });
    const { calls, fetchPage } = feed(events, 5);
    const first = await readOrderEvents(order, fetchPage, { pageSize: 5, maxPages: 2 });
    expect(first.outcome).toBe('bounded');
    expect(first.cursor).toBe('10');
    expect(first.events).toHaveLength(1);
    const further = await readOrderEvents(order, fetchPage, {
      pageSize: 5,
      maxPages: 2,
      after: first.cursor,
      found: first.events,
    });
    expect(further.outcome).toBe('bounded');
    const last = await readOrderEvents(order, fetchPage, {
      pageSize: 5,
      maxPages: 2,
      after: further.cursor,
      found: further.events,
    });
    expect(last.outcome).toBe('complete');
    expect(last.events.map((found) => found.subjectsequence)).toEqual([1, 2, 3]);
    expect(calls).toEqual([undefined, '5', '10', '15', '20']);
  });

  it('when an order is only created, then one event is expected', () => {
    expect(expectedEventCount({ confirmed_at: null, canceled_at: null })).toBe(1);
    expect(expectedEventCount({ confirmed_at: null, canceled_at: '2026-12-06T10:00:00.000Z' })).toBe(2);
  });
});
