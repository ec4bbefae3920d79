import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connect from '@databases/mysql';
import type { Database } from '@b2b/service-kit';
import { startSystem, type HttpClient, type System } from './helpers';

let system: System;
let countingPool: Database;
let api: HttpClient;
let queries = 0;

beforeAll(async () => {
  system = await startSystem();
  // The Orders API under test gets a pool of its own that counts every statement it sends.
  countingPool = connect({
    connectionString: system.database.url,
    bigIntMode: 'string',
    timeZone: 'utc',
    onQueryStart: () => {
      queries++;
    },
  });
  api = await system.startOrdersApi({ db: countingPool });
});

afterAll(async () => {
  await countingPool?.dispose();
  await system?.stop();
});

async function queriesToPlaceOrderOf(
  lineCount: number,
  headers: Record<string, string> = {},
): Promise<number> {
  const customer = await system.createCustomer();
  const products = await Promise.all(Array.from({ length: lineCount }, () => system.createProduct()));
  const before = queries;
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
  return queries - before;
}

async function queriesToListOrders(limit: number): Promise<number> {
  const before = queries;
  const response = await api.get(`/orders?limit=${limit}`, { token: system.token });
  expect(response.status).toBe(200);
  expect(response.body.data).toHaveLength(limit);
  return queries - before;
}

describe('round trips', () => {
  it('when an order has 1 line or 50 lines, then placing it takes the same number of queries', async () => {
    const forOneLine = await queriesToPlaceOrderOf(1);
    const forFiftyLines = await queriesToPlaceOrderOf(50);

    // Lock the products, insert the order, insert its items, take the stock (plus BEGIN
    // and COMMIT, which the pool does not count): the raw write's own round trips.
    expect(forOneLine).toBe(4);
    expect(forFiftyLines).toBe(forOneLine);
  });

  it('when an order is placed with an idempotency key, then it takes two more: claiming the key and storing the answer', async () => {
    expect(await queriesToPlaceOrderOf(3, { 'X-Idempotency-Key': randomUUID() })).toBe(6);
  });

  it('when a page holds 1 order or 2 orders, then listing takes the same number of queries (no N+1)', async () => {
    expect(await queriesToListOrders(2)).toBe(await queriesToListOrders(1));
  });
});
