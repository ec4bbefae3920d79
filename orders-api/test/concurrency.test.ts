import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { startSystem, statusCounts, type HttpClient, type System } from './helpers';

let system: System;
/** A second Orders API with a connection pool of its own, on the same database. */
let otherInstance: HttpClient;

beforeAll(async () => {
  system = await startSystem();
  otherInstance = await system.startOrdersApi({ ownPool: true });
});

afterAll(async () => {
  await system?.stop();
});

/** The request of index i goes to one instance or the other, so both share every load. */
const instances = (spread: boolean) => (index: number) =>
  spread && index % 2 === 1 ? otherInstance : system.api;

describe.each([
  { setup: 'one instance', spread: false },
  { setup: 'two instances with their own pools', spread: true },
])('under concurrency, $setup', ({ spread }) => {
  const apiFor = instances(spread);

  it('when 50 orders of 1 race for a stock of 10, then exactly 10 succeed, 40 get 409 and the stock is 0', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        apiFor(index).post('/orders', {
          token: system.token,
          body: { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ 201: 10, 409: 40 });
    for (const response of responses.filter((each) => each.status === 409)) {
      expect(response.body.code).toBe('INSUFFICIENT_STOCK');
    }
    expect(await system.stockOf(product.id)).toBe(0);
  });

  it('when orders lock overlapping products listed in opposite orders, then each succeeds or gets 409, never a 5xx', async () => {
    const customer = await system.createCustomer();
    const products = await Promise.all([0, 1, 2].map(() => system.createProduct({ stock: 40 })));
    const forward = products.map((product) => ({ product_id: product.id, qty: 3 }));
    const backward = [...forward].reverse();

    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        apiFor(index >> 1).post('/orders', {
          token: system.token,
          body: { customer_id: customer.id, items: index % 2 === 0 ? forward : backward },
        }),
      ),
    );

    const counts = statusCounts(responses);
    expect(Object.keys(counts).every((status) => status === '201' || status === '409')).toBe(true);
    // 40 units of each product at 3 a time: 13 orders fit.
    expect(counts[201]).toBe(13);
    for (const product of products) expect(await system.stockOf(product.id)).toBe(1);
  });

  it('when 20 confirmations share one key, then the order is confirmed once; the others replay it or are told it is in progress', async () => {
    const { order } = await system.createOrder();
    const key = randomUUID();

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        apiFor(index).post(`/orders/${order.id}/confirm`, {
          token: system.token,
          headers: { 'X-Idempotency-Key': key },
        }),
      ),
    );

    // A duplicate never waits on the first request's locks: it replays a finished first
    // request, or is refused at once while that request still runs.
    const fresh = responses.filter(
      (response) => response.status === 200 && response.headers.get('idempotent-replayed') !== 'true',
    );
    const replays = responses.filter((response) => response.headers.get('idempotent-replayed') === 'true');
    const inProgress = responses.filter((response) => response.status === 409);
    expect(fresh).toHaveLength(1);
    expect(replays.length + inProgress.length).toBe(19);
    for (const replay of replays) expect(replay.text).toBe(fresh[0]!.text);
    for (const refusal of inProgress) expect(refusal.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    const [row] = await system.database.db.query(
      sql`SELECT status, confirmed_at = updated_at AS is_single_transition FROM orders WHERE id = ${order.id}`,
    );
    expect(row.status).toBe('CONFIRMED');
    expect(Number(row.is_single_transition)).toBe(1);
    expect(JSON.parse(fresh[0]!.text).confirmed_at).toBe(
      (await system.api.get(`/orders/${order.id}`, { token: system.token })).body.confirmed_at,
    );
  });

  it('when 20 confirmations with different keys race, then all answer 200 with one and the same confirmed_at', async () => {
    const { order } = await system.createOrder();

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        apiFor(index).post(`/orders/${order.id}/confirm`, {
          token: system.token,
          headers: { 'X-Idempotency-Key': randomUUID() },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ 200: 20 });
    expect(new Set(responses.map((response) => response.body.confirmed_at)).size).toBe(1);
  });

  it('when 20 cancellations of one order race, then its stock is restored exactly once', async () => {
    const { order, product } = await system.createOrder({ qty: 5, stock: 10 });

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        apiFor(index).post(`/orders/${order.id}/cancel`, { token: system.token }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ 200: 20 });
    expect(new Set(responses.map((response) => response.body.canceled_at)).size).toBe(1);
    expect(await system.stockOf(product.id)).toBe(10);
  });

  it('when 256 orders arrive at once, then all complete with 201 and nothing stalls', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 1000 });

    const responses = await Promise.all(
      Array.from({ length: 256 }, (_, index) =>
        apiFor(index).post('/orders', {
          token: system.token,
          headers: index % 2 === 0 ? { 'X-Idempotency-Key': randomUUID() } : {},
          body: { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ 201: 256 });
    // A stall (a request holding one pooled connection while waiting for another) would
    // exhaust the pool and end in the pool's queue timeout: 503s instead of these 201s.
    expect(await system.stockOf(product.id)).toBe(1000 - 256);
  });
});
