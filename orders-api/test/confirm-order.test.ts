import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { createGate, TEST_AUTH } from '@b2b/service-kit/testing';
import { startSystem, type System } from './helpers';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

const confirm = (orderId: number, key: string | undefined, token = system.token) =>
  system.api.post(`/orders/${orderId}/confirm`, {
    token,
    headers: key === undefined ? {} : { 'X-Idempotency-Key': key },
  });

describe('POST /orders/{id}/confirm', () => {
  it('when a CREATED order is confirmed, then 200 CONFIRMED with confirmed_at set', async () => {
    const { order } = await system.createOrder();

    const response = await confirm(order.id, randomUUID());

    expect(response.status).toBe(200);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    expect(response.body).toMatchObject({ id: order.id, status: 'CONFIRMED', canceled_at: null });
    expect(response.body.confirmed_at).toEqual(expect.any(String));
    const fetched = await system.api.get(`/orders/${order.id}`, { token: system.token });
    expect(fetched.text).toBe(response.text);
  });

  it('when the same key is sent again for the same order, then the stored response is replayed byte for byte', async () => {
    const { order } = await system.createOrder();
    const key = randomUUID();
    const first = await confirm(order.id, key);
    // The order changes afterwards; the replay still answers with what the first call answered.
    await system.api.post(`/orders/${order.id}/cancel`, { token: system.token });

    const replay = await confirm(order.id, key);

    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('content-type')).toMatch(/^application\/json/);
    expect(replay.text).toBe(first.text);
  });

  it('when the same key is sent for another order, then 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const { order: first } = await system.createOrder();
    const { order: second } = await system.createOrder();
    const key = randomUUID();
    await confirm(first.id, key);

    const response = await confirm(second.id, key);

    expect(response.status).toBe(409);
    expect(response.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const untouched = await system.api.get(`/orders/${second.id}`, { token: system.token });
    expect(untouched.body.status).toBe('CREATED');
  });

  it('when the first confirmation with a key waits on a locked order, then a retry with that key is refused at once with Retry-After', async () => {
    const { order } = await system.createOrder();
    const key = randomUUID();
    // Another transaction holds the order's row lock until the test lets it go.
    const holdLock = createGate();
    const locked = createGate();
    const holder = system.database.db.tx(async (tx) => {
      await tx.query(sql`SELECT id FROM orders WHERE id = ${order.id} FOR UPDATE`);
      void locked.pass();
      await holdLock.pass();
    });
    await locked.arrived;
    const first = confirm(order.id, key);
    // The first request has claimed its key when the key's row exists (it then waits on the lock).
    await expect
      .poll(
        async () =>
          (await system.database.db.query(sql`SELECT 1 FROM idempotency_keys WHERE idempotency_key = ${key}`))
            .length,
      )
      .toBe(1);

    const retry = await confirm(order.id, key);

    expect(retry.status).toBe(409);
    expect(retry.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(retry.headers.get('retry-after')).toBe('1');
    holdLock.release();
    await holder;
    expect((await first).status).toBe(200);
    expect((await confirm(order.id, key)).headers.get('idempotent-replayed')).toBe('true');
  });

  it('when a new key confirms an order that is already CONFIRMED, then 200 with the order as it is', async () => {
    const { order } = await system.createOrder();
    const first = await confirm(order.id, randomUUID());

    const second = await confirm(order.id, randomUUID());

    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.confirmed_at).toBe(first.body.confirmed_at);
    expect(second.body.updated_at).toBe(first.body.updated_at);
  });

  it('when the order is CANCELED, then 409 INVALID_ORDER_STATUS and the key stays free', async () => {
    const { order: canceled } = await system.createOrder();
    await system.api.post(`/orders/${canceled.id}/cancel`, { token: system.token });
    const { order: other } = await system.createOrder();
    const key = randomUUID();

    const rejected = await confirm(canceled.id, key);
    const reusedAfterFailure = await confirm(other.id, key);

    expect(rejected.status).toBe(409);
    expect(rejected.body).toMatchObject({
      code: 'INVALID_ORDER_STATUS',
      detail: `Order ${canceled.id} is CANCELED and cannot be confirmed.`,
    });
    expect(reusedAfterFailure.status).toBe(200);
  });

  it('when the order does not exist, then 404 ORDER_NOT_FOUND', async () => {
    const response = await confirm(999999999, randomUUID());

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('ORDER_NOT_FOUND');
  });

  it('when X-Idempotency-Key is missing, then 400 VALIDATION_FAILED naming the header', async () => {
    const { order } = await system.createOrder();

    const response = await confirm(order.id, undefined);

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'header.x-idempotency-key' })]);
  });

  it('when the key has expired, then it counts as a new key', async () => {
    const { order: first } = await system.createOrder();
    const { order: second } = await system.createOrder();
    const key = randomUUID();
    await confirm(first.id, key);
    await system.database.db.query(
      sql`UPDATE idempotency_keys SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE idempotency_key = ${key}`,
    );

    const response = await confirm(second.id, key);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: second.id, status: 'CONFIRMED' });
  });

  it('when called with the service token, then 200', async () => {
    const { order } = await system.createOrder();

    const response = await confirm(order.id, randomUUID(), TEST_AUTH.serviceToken);

    expect(response.status).toBe(200);
  });
});
