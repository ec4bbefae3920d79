import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { purgeExpiredIdempotencyKeys } from '../src/idempotency/idempotency';
import { startHeldCustomersApi, startSystem, type System } from './helpers';

let system: System;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  system = await startSystem();
});

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

afterAll(async () => {
  await system?.stop();
});

async function expireKey(key: string): Promise<void> {
  await system.database.db.query(
    sql`UPDATE idempotency_keys SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE idempotency_key = ${key}`,
  );
}

describe('POST /orders with X-Idempotency-Key', () => {
  it('when the same request is repeated with the same key, then the stored 201 is replayed and nothing new is created', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const body = { customer_id: customer.id, items: [{ product_id: product.id, qty: 2 }] };
    const headers = { 'X-Idempotency-Key': randomUUID() };

    const first = await system.placeOrder(body, headers);
    const ordersAfterFirst = await system.countRows('orders');
    const replay = await system.placeOrder(body, headers);

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('location')).toBe(`/orders/${first.body.id}`);
    expect(replay.text).toBe(first.text);
    expect(await system.countRows('orders')).toBe(ordersAfterFirst);
    expect(await system.stockOf(product.id)).toBe(8);
  });

  it('when the same key comes with another body, then 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const headers = { 'X-Idempotency-Key': randomUUID() };
    await system.placeOrder(
      { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
      headers,
    );

    const reused = await system.placeOrder(
      { customer_id: customer.id, items: [{ product_id: product.id, qty: 2 }] },
      headers,
    );

    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await system.stockOf(product.id)).toBe(99);
  });

  it('when the same body has its keys in another order, then it is the same request', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const headers = { 'X-Idempotency-Key': randomUUID() };
    const first = await system.placeOrder(
      { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
      headers,
    );

    const reordered = await system.api.post('/orders', {
      token: system.token,
      headers,
      body: `{"items":[{"qty":1,"product_id":${product.id}}],"customer_id":${customer.id}}`,
    });

    expect(reordered.status).toBe(201);
    expect(reordered.text).toBe(first.text);
  });

  it('when the first request with a key is still running, then 409 IDEMPOTENCY_KEY_IN_PROGRESS', async () => {
    // The first request claims its key, then waits on the customer check, held at the gate.
    const customersApi = await startHeldCustomersApi();
    cleanups.push(customersApi.close);
    const customerCheck = customersApi.gate;
    // Only the gate decides when the first request goes on: the client's timeout is as long as the test's.
    const api = await system.startOrdersApi({
      customersApiBase: customersApi.url,
      customersApiTimeoutMs: 30_000,
    });
    const product = await system.createProduct();
    const request = {
      token: system.token,
      headers: { 'X-Idempotency-Key': randomUUID() },
      body: { customer_id: 1, items: [{ product_id: product.id, qty: 1 }] },
    };

    const first = api.post('/orders', request);
    await customerCheck.arrived;
    const second = await api.post('/orders', request);
    customerCheck.release();

    expect(second.status).toBe(409);
    expect(second.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect((await first).status).toBe(201);
    // The duplicate was turned away before it reached the customer check.
    expect(customerCheck.arrivals).toBe(1);
    expect(await system.stockOf(product.id)).toBe(99);
  });

  it('when the request with a key fails, then the key is released and may be used again', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 1 });
    const headers = { 'X-Idempotency-Key': randomUUID() };

    const failed = await system.placeOrder(
      { customer_id: customer.id, items: [{ product_id: product.id, qty: 5 }] },
      headers,
    );
    const retried = await system.placeOrder(
      { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
      headers,
    );

    expect(failed.status).toBe(409);
    expect(failed.body.code).toBe('INSUFFICIENT_STOCK');
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('when the customer check fails, then the key is released too', async () => {
    const product = await system.createProduct();
    const headers = { 'X-Idempotency-Key': randomUUID() };
    const keysBefore = await system.countRows('idempotency_keys');

    const response = await system.placeOrder(
      { customer_id: 999999999, items: [{ product_id: product.id, qty: 1 }] },
      headers,
    );

    expect(response.status).toBe(422);
    expect(await system.countRows('idempotency_keys')).toBe(keysBefore);
  });

  it('when the key has expired, then it counts as a new key and a new order is created', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const key = randomUUID();
    const body = { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] };
    const first = await system.placeOrder(body, { 'X-Idempotency-Key': key });
    await expireKey(key);

    const again = await system.placeOrder(body, { 'X-Idempotency-Key': key });

    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.id).not.toBe(first.body.id);
    expect(await system.stockOf(product.id)).toBe(98);
  });

  it('when a claim is older than IDEMPOTENCY_ABANDONED_CLAIM_SECONDS, then it counts as abandoned and the key can be used; a younger one is still in progress', async () => {
    const api = await system.startOrdersApi({ abandonedClaimSeconds: 30 });
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const order = (key: string) =>
      api.post('/orders', {
        token: system.token,
        headers: { 'X-Idempotency-Key': key },
        body: { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
      });
    // Claims of this very request (the fingerprint of a finished one), left as a dead process would.
    const finished = randomUUID();
    await order(finished);
    const claimAged = async (key: string, seconds: number) =>
      system.database.db.query(sql`
        INSERT INTO idempotency_keys (scope, owner, idempotency_key, target_type, request_fingerprint, status, created_at, expires_at)
        SELECT scope, owner, ${key}, target_type, request_fingerprint, 'IN_PROGRESS',
               NOW(3) - INTERVAL ${seconds} SECOND, NOW(3) + INTERVAL 1 HOUR
        FROM idempotency_keys WHERE idempotency_key = ${finished}`);
    const [abandoned, running] = [randomUUID(), randomUUID()];
    await claimAged(abandoned, 31);
    await claimAged(running, 29);

    const [afterAbandoned, whileRunning] = [await order(abandoned), await order(running)];

    expect(afterAbandoned.status).toBe(201);
    expect(whileRunning.status).toBe(409);
    expect(whileRunning.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(await system.stockOf(product.id)).toBe(8);
  });

  it('when one key is used for creating and then confirming, then the two uses do not collide', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const headers = { 'X-Idempotency-Key': randomUUID() };

    const created = await system.placeOrder(
      { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
      headers,
    );
    const confirmed = await system.api.post(`/orders/${created.body.id}/confirm`, {
      token: system.token,
      headers,
    });

    expect(created.status).toBe(201);
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get('idempotent-replayed')).toBeNull();
    expect(confirmed.body.status).toBe('CONFIRMED');
  });

  it('when no key is sent, then two identical requests create two orders', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const body = { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] };

    const first = await system.placeOrder(body);
    const second = await system.placeOrder(body);

    expect(second.body.id).not.toBe(first.body.id);
    expect(await system.stockOf(product.id)).toBe(98);
  });

  it('when the key is malformed, then 400', async () => {
    const response = await system.placeOrder(
      { customer_id: 1, items: [{ product_id: 1, qty: 1 }] },
      { 'X-Idempotency-Key': 'has spaces' },
    );

    expect(response.status).toBe(400);
  });
});

describe('purging expired idempotency keys', () => {
  it('when keys have expired, then the purge deletes them and keeps the others', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const expired = randomUUID();
    const live = randomUUID();
    for (const key of [expired, live]) {
      await system.placeOrder(
        { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
        { 'X-Idempotency-Key': key },
      );
    }
    await expireKey(expired);

    const deleted = await purgeExpiredIdempotencyKeys(system.database.db);

    expect(deleted).toBeGreaterThanOrEqual(1);
    const rows = await system.database.db.query(
      sql`SELECT idempotency_key FROM idempotency_keys WHERE idempotency_key IN (${expired}, ${live})`,
    );
    expect(rows.map((row: { idempotency_key: string }) => row.idempotency_key)).toEqual([live]);
  });

  it('when a key is created, then it expires IDEMPOTENCY_KEY_TTL_HOURS later on the database clock', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const key = randomUUID();
    await system.placeOrder(
      { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
      { 'X-Idempotency-Key': key },
    );

    const [row] = await system.database.db.query(
      sql`SELECT TIMESTAMPDIFF(MINUTE, created_at, expires_at) AS minutes FROM idempotency_keys WHERE idempotency_key = ${key}`,
    );

    expect(Number(row.minutes)).toBe(24 * 60);
  });
});
