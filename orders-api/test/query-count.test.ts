import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, sql, type Database } from '@b2b/service-kit';
import { startMySqlRoundTripCounter, type MySqlRoundTripCounter } from '@b2b/service-kit/testing';
import { startSystem, type HttpClient, type System } from './helpers';

let system: System;
let counter: MySqlRoundTripCounter;
let countingPool: Database;
let api: HttpClient;

beforeAll(async () => {
  system = await startSystem();
  // The Orders API under test reaches the database through a proxy that counts the round
  // trips (COM_QUERY packets, BEGIN and COMMIT included) as the server receives them.
  counter = await startMySqlRoundTripCounter(system.database.url);
  countingPool = connectDatabase(counter.url);
  api = await system.startOrdersApi({ db: countingPool });
  // Opens the pool's connection and runs its first transaction (a cancel of no order: 404):
  // the session set-up, and the one look at whether the server is a Galera node, are not
  // the requests' round trips.
  await api.get('/orders?limit=1', { token: system.token });
  await api.post('/orders/999999999/cancel', { token: system.token });
});

afterAll(async () => {
  await countingPool?.dispose();
  await counter?.close();
  await system?.stop();
});

/** The round trips `request` makes the Orders API send to the database. */
async function roundTripsOf(request: () => Promise<unknown>): Promise<number> {
  const before = counter.queries;
  await request();
  return counter.queries - before;
}

async function queriesToPlaceOrderOf(
  lineCount: number,
  headers: Record<string, string> = {},
): Promise<number> {
  const customer = await system.createCustomer();
  const products = await Promise.all(Array.from({ length: lineCount }, () => system.createProduct()));
  return roundTripsOf(async () => {
    const response = await api.post('/orders', {
      token: system.token,
      headers,
      body: {
        customer_id: customer.id,
        items: products.map((product) => ({ product_id: product.id, qty: 1 })),
      },
    });
    expect(response.status).toBe(201);
    expect(response.body.items).toHaveLength(lineCount);
  });
}

async function queriesToListOrders(limit: number): Promise<number> {
  return roundTripsOf(async () => {
    const response = await api.get(`/orders?limit=${limit}`, { token: system.token });
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(limit);
  });
}

describe('round trips', () => {
  it('when an order has 1 line or 50 lines, then placing it takes the same number of queries', async () => {
    const forOneLine = await queriesToPlaceOrderOf(1);
    const forFiftyLines = await queriesToPlaceOrderOf(50);

    // BEGIN with the lock of the products; the order, its items and the stock with COMMIT
    // (a plain implementation sends each of those six statements on its own).
    expect(forOneLine).toBe(2);
    expect(forFiftyLines).toBe(forOneLine);
  });

  it('when an order is placed with an idempotency key, then it takes three more: claiming the key, storing the answer, COMMIT', async () => {
    expect(await queriesToPlaceOrderOf(3, { 'X-Idempotency-Key': randomUUID() })).toBe(5);
  });

  it('when an order is confirmed with a key and then canceled, then each takes the round trips of its statements, BEGIN and COMMIT riding along', async () => {
    const { order } = await system.createOrder();
    const confirming = await roundTripsOf(async () => {
      const response = await api.post(`/orders/${order.id}/confirm`, {
        token: system.token,
        headers: { 'X-Idempotency-Key': randomUUID() },
      });
      expect(response.status).toBe(200);
    });
    const canceling = await roundTripsOf(async () => {
      const response = await api.post(`/orders/${order.id}/cancel`, { token: system.token });
      expect(response.status).toBe(200);
    });

    // Claim; BEGIN + lock the order; mark it CONFIRMED; store the answer; COMMIT.
    expect(confirming).toBe(5);
    // BEGIN + lock the order; give the stock back, mark it CANCELED, COMMIT.
    expect(canceling).toBe(2);
  });

  it('when a cancellation gives back more stock than fits under the maximum stock on hand, then it still takes two round trips', async () => {
    const { order, product } = await system.createOrder({ qty: 5 });
    await system.database.db.query(
      sql`UPDATE products SET stock = ${2_147_483_647 - 2} WHERE id = ${product.id}`,
    );

    const canceling = await roundTripsOf(async () => {
      const response = await api.post(`/orders/${order.id}/cancel`, { token: system.token });
      expect(response.status).toBe(200);
    });

    // The units that do not fit are read in the same round trip as the stock given back.
    expect(canceling).toBe(2);
    expect(await system.stockOf(product.id)).toBe(2_147_483_647);
  });

  it('when a page holds 1 order or 2 orders, then listing takes the same number of queries (no N+1)', async () => {
    expect(await queriesToListOrders(2)).toBe(await queriesToListOrders(1));
  });
});
