import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH, operatorToken } from '@b2b/service-kit/testing';
import { startSystem, type System } from './helpers';

/**
 * An idempotency key belongs to whoever sent it (IETF idempotency-key draft): the same key
 * value from another operator, or from the service, is another key.
 */
let system: System;
let otherOperator: string;

beforeAll(async () => {
  system = await startSystem();
  otherOperator = await operatorToken('another-operator');
});

afterAll(async () => {
  await system?.stop();
});

describe('POST /orders: a key is looked up among its sender’s own', () => {
  it('when two operators send the same key with the same body, then each gets an order of their own', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const body = { customer_id: customer.id, items: [{ product_id: product.id, qty: 2 }] };
    const headers = { 'X-Idempotency-Key': randomUUID() };

    const mine = await system.api.post('/orders', { token: system.token, headers, body });
    const theirs = await system.api.post('/orders', { token: otherOperator, headers, body });

    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(await system.stockOf(product.id)).toBe(6);
  });

  it('when another operator sends my key with another body, then they are served, not refused as a reuse, and my retry still replays', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const headers = { 'X-Idempotency-Key': randomUUID() };
    const mine = { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] };

    const first = await system.api.post('/orders', { token: system.token, headers, body: mine });
    const theirs = await system.api.post('/orders', {
      token: otherOperator,
      headers,
      body: { ...mine, items: [{ product_id: product.id, qty: 3 }] },
    });
    const retry = await system.api.post('/orders', { token: system.token, headers, body: mine });

    expect([first.status, theirs.status, retry.status]).toEqual([201, 201, 201]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(first.text);
    expect(await system.stockOf(product.id)).toBe(6);
  });

  it('when an operator has used a key, then the service token’s request with that key value is another request', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const body = { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] };
    const headers = { 'X-Idempotency-Key': `orchestrator:${randomUUID()}:create` };

    const operators = await system.api.post('/orders', { token: system.token, headers, body });
    const services = await system.api.post('/orders', { token: TEST_AUTH.serviceToken, headers, body });

    expect([operators.status, services.status]).toEqual([201, 201]);
    expect(services.body.id).not.toBe(operators.body.id);
  });
});

describe('POST /orders/{id}/confirm: a key is looked up among its sender’s own', () => {
  it('when another operator has confirmed another order with my key, then my confirmation is a first use, not 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const { order: theirs } = await system.createOrder();
    const { order: mine } = await system.createOrder();
    const headers = { 'X-Idempotency-Key': randomUUID() };

    const confirmedTheirs = await system.api.post(`/orders/${theirs.id}/confirm`, {
      token: otherOperator,
      headers,
    });
    const confirmedMine = await system.api.post(`/orders/${mine.id}/confirm`, {
      token: system.token,
      headers,
    });

    expect([confirmedTheirs.status, confirmedMine.status]).toEqual([200, 200]);
    expect(confirmedMine.headers.get('idempotent-replayed')).toBeNull();
    expect(confirmedMine.body).toMatchObject({ id: mine.id, status: 'CONFIRMED' });
  });

  it('when the same operator repeats a confirmation with the same key, then it is replayed', async () => {
    const { order } = await system.createOrder();
    const headers = { 'X-Idempotency-Key': randomUUID() };

    const first = await system.api.post(`/orders/${order.id}/confirm`, { token: otherOperator, headers });
    const retry = await system.api.post(`/orders/${order.id}/confirm`, { token: otherOperator, headers });

    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.text).toBe(first.text);
  });
});
