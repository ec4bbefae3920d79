import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { sql } from '@b2b/service-kit';
import { createTestDatabase, operatorToken, type TestDatabase } from '@b2b/service-kit/testing';
import {
  countBy,
  createCustomerAndProduct,
  postOrder,
  startApiProcess,
  type ApiProcess,
} from './support/api-processes';

/**
 * Issue 13 §5, hot product: N orders at once for a product with stock S, against the real
 * processes. Each order also takes one unit of a second product, listed first in half of
 * the orders and last in the other half, so locks are asked for in both orders: the API
 * locks rows by id, so that never deadlocks.
 */
const ORDERS = 32;
const STOCK = 10;

let database: TestDatabase;
const started: ApiProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  for (const part of started.reverse()) await part.service.stop();
  await database?.drop();
});

describe('a hot product, against the API processes', () => {
  it(`when ${ORDERS} orders for one unit arrive at once for a stock of ${STOCK}, then ${STOCK} are created, ${ORDERS - STOCK} are refused 409, the stock ends at 0, and nothing answers 5xx`, async () => {
    const customers = await startApiProcess('customers-api', { DATABASE_URL: database.url });
    started.push(customers);
    const orders = await startApiProcess('orders-api', {
      DATABASE_URL: database.url,
      CUSTOMERS_API_BASE: customers.url,
    });
    started.push(orders);
    const token = await operatorToken();
    const hot = await createCustomerAndProduct(customers.api, orders.api, token, STOCK);
    const other = await createCustomerAndProduct(customers.api, orders.api, token, 1000);
    const pool = new Pool(orders.url, { connections: ORDERS });

    const outcomes = await Promise.all(
      Array.from({ length: ORDERS }, (_, index) => {
        const lines = [
          { product_id: hot.productId, qty: 1 },
          { product_id: other.productId, qty: 1 },
        ];
        return postOrder(pool, token, {
          customer_id: hot.customerId,
          items: index % 2 === 0 ? lines : lines.toReversed(),
        });
      }),
    ).finally(() => pool.close());

    const statuses = countBy(outcomes, (outcome) => outcome.status ?? outcome.errorCode);
    console.info('hot product:', JSON.stringify({ orders: ORDERS, stock: STOCK, statuses }));
    expect(statuses).toEqual({ 201: STOCK, 409: ORDERS - STOCK });
    for (const refused of outcomes.filter((outcome) => outcome.status === 409)) {
      expect(refused.body?.code).toBe('INSUFFICIENT_STOCK');
      expect(refused.contentType).toMatch(/^application\/problem\+json/);
    }
    const [hotRow] = await database.db.query(sql`SELECT stock FROM products WHERE id = ${hot.productId}`);
    const [otherRow] = await database.db.query(sql`SELECT stock FROM products WHERE id = ${other.productId}`);
    expect(Number(hotRow.stock)).toBe(0);
    // Only the created orders took the second product: a refused order wrote nothing.
    expect(Number(otherRow.stock)).toBe(1000 - STOCK);
    const [{ count }] = await database.db.query(
      sql`SELECT COUNT(*) AS count FROM order_items WHERE product_id = ${hot.productId}`,
    );
    expect(Number(count)).toBe(STOCK);
  }, 60_000);
});
