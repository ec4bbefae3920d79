import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { metricChanges, scrapeMetrics, seriesKey, TEST_AUTH } from '@b2b/service-kit/testing';
import { document } from '@b2b/contracts/orders';
import { createOrdersMetrics } from '../src/metrics';
import { MAX_STOCK_ON_HAND } from '../src/products/product-repository';
import { capturingLogger, startSystem, type System } from './helpers';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

const cancel = (orderId: number) => system.api.post(`/orders/${orderId}/cancel`, { token: system.token });

async function confirmedMinutesAgo(minutes: number) {
  const placed = await system.createOrder({ qty: 3, stock: 10 });
  await system.api.post(`/orders/${placed.order.id}/confirm`, {
    token: system.token,
    headers: { 'X-Idempotency-Key': randomUUID() },
  });
  await system.database.db.query(
    sql`UPDATE orders SET confirmed_at = NOW(3) - INTERVAL ${minutes} MINUTE WHERE id = ${placed.order.id}`,
  );
  return placed;
}

describe('POST /orders/{id}/cancel', () => {
  it('when a CREATED order is canceled, then it is CANCELED with canceled_at set and its stock is back', async () => {
    const { order, product } = await system.createOrder({ qty: 4, stock: 10 });
    expect(await system.stockOf(product.id)).toBe(6);

    const response = await cancel(order.id);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: order.id, status: 'CANCELED', confirmed_at: null });
    expect(response.body.canceled_at).toEqual(expect.any(String));
    expect(await system.stockOf(product.id)).toBe(10);
  });

  it('when a multi-line order is canceled, then every product gets its own quantity back', async () => {
    const customer = await system.createCustomer();
    const first = await system.createProduct({ stock: 10 });
    const second = await system.createProduct({ stock: 20 });
    const placed = await system.placeOrder({
      customer_id: customer.id,
      items: [
        { product_id: second.id, qty: 5 },
        { product_id: first.id, qty: 2 },
      ],
    });

    await cancel(placed.body.id);

    expect(await system.stockOf(first.id)).toBe(10);
    expect(await system.stockOf(second.id)).toBe(20);
  });

  it('when a CONFIRMED order is canceled within the cancel window, then it is CANCELED and its stock is back', async () => {
    const { order, product } = await confirmedMinutesAgo(9);

    const response = await cancel(order.id);

    expect(response.status).toBe(200);
    expect(response.body.status).toBe('CANCELED');
    expect(await system.stockOf(product.id)).toBe(10);
  });

  it('when a CONFIRMED order is canceled after the cancel window, then 409 CANCEL_WINDOW_EXPIRED and nothing changes', async () => {
    const { order, product } = await confirmedMinutesAgo(11);

    const response = await cancel(order.id);

    expect(response.status).toBe(409);
    expect(response.body.code).toBe('CANCEL_WINDOW_EXPIRED');
    expect(response.body.detail).toMatch(/can be canceled for 10 minutes only\.$/);
    const fetched = await system.api.get(`/orders/${order.id}`, { token: system.token });
    expect(fetched.body.status).toBe('CONFIRMED');
    expect(await system.stockOf(product.id)).toBe(7);
  });

  it('when a CANCELED order is canceled again, then 200 with the order unchanged and no stock restored again', async () => {
    const { order, product } = await system.createOrder({ qty: 2, stock: 10 });
    const first = await cancel(order.id);

    const second = await cancel(order.id);

    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(await system.stockOf(product.id)).toBe(10);
  });

  it('when the order does not exist, then 404 ORDER_NOT_FOUND', async () => {
    const response = await cancel(999999999);

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('ORDER_NOT_FOUND');
  });

  it('when called with the service token, then 200', async () => {
    const { order } = await system.createOrder();

    const response = await system.api.post(`/orders/${order.id}/cancel`, { token: TEST_AUTH.serviceToken });

    expect(response.status).toBe(200);
  });
});

describe('POST /orders/{id}/cancel with another cancel window', () => {
  it('when ORDER_CANCEL_WINDOW_MINUTES is 30, then an order confirmed 20 minutes ago can still be canceled', async () => {
    const api = await system.startOrdersApi({ cancelWindowMinutes: 30 });
    const { order } = await confirmedMinutesAgo(20);

    const response = await api.post(`/orders/${order.id}/cancel`, { token: system.token });

    expect(response.status).toBe(200);
    expect(response.body.status).toBe('CANCELED');
  });
});

describe('POST /orders/{id}/cancel with a reason', () => {
  const cancelWith = (orderId: number, body: unknown, headers?: Record<string, string>) =>
    system.api.post(`/orders/${orderId}/cancel`, { token: system.token, body, headers });

  it('when a client sends a reason, then the order is CANCELED by CLIENT with that reason, also when read back', async () => {
    const { order } = await system.createOrder();

    const response = await cancelWith(order.id, { reason: 'Customer ordered the wrong pallet size.' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'CANCELED',
      cancel_source: 'CLIENT',
      cancel_reason: 'Customer ordered the wrong pallet size.',
    });
    const fetched = await system.api.get(`/orders/${order.id}`, { token: system.token });
    expect(fetched.text).toBe(response.text);
    const listed = await system.api.get('/orders?status=CANCELED&limit=100', { token: system.token });
    expect(listed.body.data.find((item: { id: number }) => item.id === order.id)).toEqual(response.body);
  });

  it('when no body is sent, then the order is CANCELED by CLIENT without a reason', async () => {
    const { order } = await system.createOrder();

    const response = await cancel(order.id);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ cancel_source: 'CLIENT', cancel_reason: null });
  });

  it('when an empty body is sent as application/json, or {}, then it is canceled as without a body', async () => {
    const first = await system.createOrder();
    const second = await system.createOrder();

    const empty = await system.api.post(`/orders/${first.order.id}/cancel`, {
      token: system.token,
      headers: { 'Content-Type': 'application/json' },
    });
    const emptyObject = await cancelWith(second.order.id, {});

    expect([empty.status, emptyObject.status]).toEqual([200, 200]);
    expect(empty.body).toMatchObject({ status: 'CANCELED', cancel_source: 'CLIENT', cancel_reason: null });
    expect(emptyObject.body).toMatchObject({
      status: 'CANCELED',
      cancel_source: 'CLIENT',
      cancel_reason: null,
    });
  });

  it('when the reason is 500 characters outside the BMP, then it is stored and returned intact', async () => {
    const { order } = await system.createOrder();
    const reason = '🚚'.repeat(500);

    const response = await cancelWith(order.id, { reason });

    expect(response.status).toBe(200);
    const fetched = await system.api.get(`/orders/${order.id}`, { token: system.token });
    expect(fetched.body.cancel_reason).toBe(reason);
  });

  it.each([
    ['empty', { reason: '' }, 'body.reason'],
    ['only white space', { reason: ' \t\n ' }, 'body.reason'],
    ['501 characters', { reason: 'x'.repeat(501) }, 'body.reason'],
    ['not text', { reason: 42 }, 'body.reason'],
    ['an unknown property', { note: 'wrong size' }, 'body.note'],
    ['the API’s own source', { source: 'RESERVATION_EXPIRY' }, 'body.source'],
  ])(
    'when the body has %s, then 400 naming the field and the order stays CREATED',
    async (_, body, field) => {
      const { order, product } = await system.createOrder({ qty: 2, stock: 10 });

      const response = await cancelWith(order.id, body);

      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
      const fetched = await system.api.get(`/orders/${order.id}`, { token: system.token });
      expect(fetched.body.status).toBe('CREATED');
      expect(await system.stockOf(product.id)).toBe(8);
    },
  );

  it('when the body is not JSON, then 415 and the order stays CREATED', async () => {
    const { order } = await system.createOrder();

    const response = await cancelWith(order.id, 'wrong size', { 'Content-Type': 'text/plain' });

    expect(response.status).toBe(415);
    const fetched = await system.api.get(`/orders/${order.id}`, { token: system.token });
    expect(fetched.body.status).toBe('CREATED');
  });

  it('when a canceled order is canceled again with another reason, then the first reason and source stay', async () => {
    const { order } = await system.createOrder();
    const first = await cancelWith(order.id, { reason: 'First reason' });

    const second = await cancelWith(order.id, {
      reason: 'Second reason',
      source: 'ORCHESTRATOR_COMPENSATION',
    });

    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.body).toMatchObject({ cancel_source: 'CLIENT', cancel_reason: 'First reason' });
  });
});

describe('POST /orders/{id}/cancel as an orchestrator compensation', () => {
  const compensate = (orderId: number) =>
    system.api.post(`/orders/${orderId}/cancel`, {
      token: TEST_AUTH.serviceToken,
      body: { source: 'ORCHESTRATOR_COMPENSATION', reason: 'Confirmation failed: Orders API timed out.' },
    });

  it('when the order is CREATED, then it is CANCELED by ORCHESTRATOR_COMPENSATION and its stock is back', async () => {
    const { order, product } = await system.createOrder({ qty: 3, stock: 10 });

    const response = await compensate(order.id);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'CANCELED',
      cancel_source: 'ORCHESTRATOR_COMPENSATION',
      cancel_reason: 'Confirmation failed: Orders API timed out.',
    });
    expect(await system.stockOf(product.id)).toBe(10);
  });

  it('when the order was confirmed meanwhile, then 409 INVALID_ORDER_STATUS and it stays CONFIRMED with its stock', async () => {
    const { order, product } = await confirmedMinutesAgo(0);

    const response = await compensate(order.id);

    expect(response.status).toBe(409);
    expect(response.body.code).toBe('INVALID_ORDER_STATUS');
    const fetched = await system.api.get(`/orders/${order.id}`, { token: system.token });
    expect(fetched.body).toMatchObject({ status: 'CONFIRMED', cancel_source: null, cancel_reason: null });
    expect(await system.stockOf(product.id)).toBe(7);
  });
});

describe('POST /orders/{id}/cancel at the limit of stock on hand', () => {
  it('when the API caps stock on hand, then at the maximum of the contract’s StockOnHand', () => {
    const schemas = document.components?.schemas as { StockOnHand: { maximum: number } };

    expect(MAX_STOCK_ON_HAND).toBe(schemas.StockOnHand.maximum);
  });

  it('when the stock plus the units given back would pass 2,147,483,647, then 200, the stock stops at 2,147,483,647 and the units that did not fit are logged and counted', async () => {
    const metrics = createOrdersMetrics();
    const { lines, logger } = capturingLogger();
    const api = await system.startOrdersApi({ metrics, logger });
    const { order, product } = await system.createOrder({ qty: 5, stock: 10 });
    // Other cancellations filled the product up meanwhile: 2 units short of the maximum.
    await system.database.db.query(
      sql`UPDATE products SET stock = ${2_147_483_647 - 2} WHERE id = ${product.id}`,
    );
    const before = await scrapeMetrics(api);

    const response = await api.post(`/orders/${order.id}/cancel`, { token: system.token });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'CANCELED', cancel_source: 'CLIENT' });
    expect(await system.stockOf(product.id)).toBe(2_147_483_647);
    expect(metricChanges(before, await scrapeMetrics(api), ['orders_stock_clamped_units_total'])).toEqual({
      [seriesKey('orders_stock_clamped_units_total', { cancel_source: 'CLIENT' })]: 3,
    });
    expect(lines.filter((line) => line.productId === product.id)).toEqual([
      expect.objectContaining({ level: 'warn', orderId: order.id, lostUnits: 3, cancelSource: 'CLIENT' }),
    ]);
  });
});
