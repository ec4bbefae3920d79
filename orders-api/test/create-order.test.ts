import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH } from '@b2b/service-kit/testing';
import {
  closedPortUrl,
  fakeCustomer,
  startFakeCustomersApi,
  startHeldCustomersApi,
  startSystem,
  type System,
} from './helpers';

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

describe('POST /orders', () => {
  it('when an order is placed, then 201 with every line priced at the current price, the total, and stock taken', async () => {
    const customer = await system.createCustomer();
    const pallet = await system.createProduct({ price_cents: 1450, stock: 10 });
    const box = await system.createProduct({ price_cents: 120, stock: 50 });

    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [
        { product_id: box.id, qty: 7 },
        { product_id: pallet.id, qty: 3 },
      ],
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/orders/${response.body.id}`);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    expect(response.body).toMatchObject({
      customer_id: customer.id,
      status: 'CREATED',
      total_cents: 3 * 1450 + 7 * 120,
      confirmed_at: null,
      canceled_at: null,
    });
    expect(response.body.items).toEqual(
      expect.arrayContaining([
        {
          product_id: pallet.id,
          sku: pallet.sku,
          name: pallet.name,
          qty: 3,
          unit_price_cents: 1450,
          subtotal_cents: 4350,
        },
        {
          product_id: box.id,
          sku: box.sku,
          name: box.name,
          qty: 7,
          unit_price_cents: 120,
          subtotal_cents: 840,
        },
      ]),
    );
    expect(response.body.items).toHaveLength(2);
    expect(await system.stockOf(pallet.id)).toBe(7);
    expect(await system.stockOf(box.id)).toBe(43);
    // GET goes through response validation, so the created body is valid against the contract too.
    const fetched = await system.api.get(`/orders/${response.body.id}`, { token: system.token });
    expect(fetched.status).toBe(200);
    expect(fetched.text).toBe(response.text);
  });

  it('when the product price changes afterwards, then the order keeps the price it was created with', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ price_cents: 500 });
    const order = await system.placeOrder({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 2 }],
    });

    await system.api.patch(`/products/${product.id}`, {
      token: system.token,
      body: { price_cents: 900, name: 'New' },
    });

    const fetched = await system.api.get(`/orders/${order.body.id}`, { token: system.token });
    expect(fetched.body.total_cents).toBe(1000);
    expect(fetched.body.items[0]).toMatchObject({ unit_price_cents: 500, name: product.name });
  });

  it('when an order takes exactly the whole stock, then 201 and the stock is 0', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 4 });

    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 4 }],
    });

    expect(response.status).toBe(201);
    expect(await system.stockOf(product.id)).toBe(0);
  });

  it('when called with the service token, then 201', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();

    const response = await system.api.post('/orders', {
      token: TEST_AUTH.serviceToken,
      body: { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
    });

    expect(response.status).toBe(201);
  });

  it('when a line asks for more than is in stock, then 409 INSUFFICIENT_STOCK naming the product and nothing is written', async () => {
    const customer = await system.createCustomer();
    const plenty = await system.createProduct({ stock: 100 });
    const scarce = await system.createProduct({ stock: 15 });
    const ordersBefore = await system.countRows('orders');

    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [
        { product_id: plenty.id, qty: 5 },
        { product_id: scarce.id, qty: 20 },
      ],
    });

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      detail: `Insufficient stock for product ${scarce.id} (${scarce.sku}): 20 requested, 15 available.`,
      errors: [{ field: 'body.items.1.qty', message: '20 requested, 15 available' }],
    });
    expect(await system.stockOf(plenty.id)).toBe(100);
    expect(await system.stockOf(scarce.id)).toBe(15);
    expect(await system.countRows('orders')).toBe(ordersBefore);
  });

  it('when several lines ask for more than is in stock, then 409 INSUFFICIENT_STOCK has one field error per short line, by its index in the request', async () => {
    const customer = await system.createCustomer();
    // Created in this order so the request's order (by index) differs from the products' id order.
    const second = await system.createProduct({ stock: 3 });
    const first = await system.createProduct({ stock: 7 });
    const plenty = await system.createProduct({ stock: 100 });

    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [
        { product_id: first.id, qty: 8 },
        { product_id: plenty.id, qty: 1 },
        { product_id: second.id, qty: 4 },
      ],
    });

    expect(response.status).toBe(409);
    expect(response.body.code).toBe('INSUFFICIENT_STOCK');
    expect(response.body.errors).toEqual([
      { field: 'body.items.0.qty', message: '8 requested, 7 available' },
      { field: 'body.items.2.qty', message: '4 requested, 3 available' },
    ]);
    expect(response.body.detail).toBe(
      `Insufficient stock for product ${first.id} (${first.sku}): 8 requested, 7 available; ` +
        `product ${second.id} (${second.sku}): 4 requested, 3 available.`,
    );
    expect([await system.stockOf(first.id), await system.stockOf(second.id)]).toEqual([7, 3]);
  });

  it('when a product does not exist, then 422 PRODUCT_NOT_FOUND and nothing is written', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const ordersBefore = await system.countRows('orders');

    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [
        { product_id: product.id, qty: 1 },
        { product_id: 999999999, qty: 1 },
      ],
    });

    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      code: 'PRODUCT_NOT_FOUND',
      detail: 'Product 999999999 does not exist.',
    });
    expect(await system.stockOf(product.id)).toBe(10);
    expect(await system.countRows('orders')).toBe(ordersBefore);
  });

  it('when a product id appears on two lines, then 400 DUPLICATE_ORDER_ITEM pointing at the repeat', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    const other = await system.createProduct();

    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [
        { product_id: product.id, qty: 1 },
        { product_id: other.id, qty: 1 },
        { product_id: product.id, qty: 2 },
      ],
    });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'DUPLICATE_ORDER_ITEM',
      errors: [{ field: 'body.items.2.product_id', message: 'duplicates body.items.0.product_id' }],
    });
    expect(await system.stockOf(product.id)).toBe(100);
  });

  it('when the body is invalid, then 400 VALIDATION_FAILED naming the field', async () => {
    const response = await system.placeOrder({ customer_id: 1, items: [{ product_id: 1, qty: 0 }] });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field: 'body.items.0.qty', message: 'must be >= 1' }]);
  });

  it('when no token is sent, then 401', async () => {
    const response = await system.api.post('/orders', {
      body: { customer_id: 1, items: [{ product_id: 1, qty: 1 }] },
    });

    expect(response.status).toBe(401);
  });
});

describe('POST /orders: the bytes on the wire are application/json, UTF-8, no content coding', () => {
  it.each([
    [{ 'Content-Encoding': 'gzip' }, 'UNSUPPORTED_CONTENT_ENCODING'],
    [{ 'Content-Encoding': 'br' }, 'UNSUPPORTED_CONTENT_ENCODING'],
    [{ 'Content-Type': 'application/json; charset=utf-7' }, 'UNSUPPORTED_MEDIA_TYPE'],
    [{ 'Content-Type': 'application/json; charset=utf-16le' }, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('when an order is sent with %o, then 415 %s and no order is stored', async (headers, code) => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const before = await system.countRows('orders');

    const response = await system.api.post('/orders', {
      token: system.token,
      headers,
      body: { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
    });

    expect(response.status).toBe(415);
    expect(response.body.code).toBe(code);
    expect(await system.countRows('orders')).toBe(before);
    expect(await system.stockOf(product.id)).toBe(10);
  });
});

describe('POST /orders: the customer check', () => {
  it('when the customer does not exist, then 422 CUSTOMER_NOT_FOUND and nothing is written', async () => {
    const product = await system.createProduct({ stock: 10 });
    const ordersBefore = await system.countRows('orders');

    const response = await system.placeOrder({
      customer_id: 999999999,
      items: [{ product_id: product.id, qty: 1 }],
    });

    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      code: 'CUSTOMER_NOT_FOUND',
      detail: 'Customer 999999999 does not exist.',
    });
    expect(await system.stockOf(product.id)).toBe(10);
    expect(await system.countRows('orders')).toBe(ordersBefore);
  });

  it('when the customer was deleted, then 422 CUSTOMER_NOT_FOUND', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct();
    await system.customersApi.delete(`/customers/${customer.id}`, { token: system.token });

    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 1 }],
    });

    expect(response.status).toBe(422);
    expect(response.body.code).toBe('CUSTOMER_NOT_FOUND');
  });

  /** An Orders API whose customer checks go to `customersApiBase`, and a product with 10 in stock. */
  async function ordersApiAgainst(customersApiBase: string, customersApiTimeoutMs?: number) {
    const api = await system.startOrdersApi({ customersApiBase, customersApiTimeoutMs });
    const product = await system.createProduct({ stock: 10 });
    return { api, product, ordersBefore: await system.countRows('orders') };
  }

  const unavailable = [
    { when: 'is down', start: async () => ({ url: await closedPortUrl() }) },
    {
      when: 'fails with a 500',
      start: () => startFakeCustomersApi(() => ({ status: 500, body: { message: 'boom' } })),
    },
  ];

  it.each(unavailable)(
    'when the Customers API $when, then 502 CUSTOMERS_API_UNAVAILABLE and nothing is written',
    async ({ start }) => {
      const customersApi: { url: string; close?: () => Promise<void> } = await start();
      if (customersApi.close) cleanups.push(customersApi.close);
      const { api, product, ordersBefore } = await ordersApiAgainst(customersApi.url);

      const response = await api.post('/orders', {
        token: system.token,
        body: { customer_id: 1, items: [{ product_id: product.id, qty: 1 }] },
      });

      expect(response.status).toBe(502);
      expect(response.body.code).toBe('CUSTOMERS_API_UNAVAILABLE');
      expect(await system.stockOf(product.id)).toBe(10);
      expect(await system.countRows('orders')).toBe(ordersBefore);
    },
  );

  it('when the Customers API does not answer in time, then 504 CUSTOMERS_API_TIMEOUT and nothing is written', async () => {
    // The gate holds the answer until cleanup: however slow the machine, the timeout ends this request.
    const customersApi = await startHeldCustomersApi();
    cleanups.push(customersApi.close);
    const { api, product, ordersBefore } = await ordersApiAgainst(customersApi.url, 50);

    const response = await api.post('/orders', {
      token: system.token,
      body: { customer_id: 1, items: [{ product_id: product.id, qty: 1 }] },
    });

    expect(response.status).toBe(504);
    expect(response.body.code).toBe('CUSTOMERS_API_TIMEOUT');
    expect(await system.stockOf(product.id)).toBe(10);
    expect(await system.countRows('orders')).toBe(ordersBefore);
  });

  it('when the customer is checked, then the service token and this request’s correlation id are sent', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const fake = await startFakeCustomersApi(({ headers }) => {
      seen.push(headers);
      return { status: 200, body: fakeCustomer(1) };
    });
    cleanups.push(fake.close);
    const api = await system.startOrdersApi({ customersApiBase: fake.url });
    const product = await system.createProduct();

    const response = await api.post('/orders', {
      token: system.token,
      headers: { 'X-Correlation-Id': 'corr-create-order-1' },
      body: { customer_id: 1, items: [{ product_id: product.id, qty: 1 }] },
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('x-correlation-id')).toBe('corr-create-order-1');
    expect(seen).toEqual([
      expect.objectContaining({
        authorization: `Bearer ${TEST_AUTH.serviceToken}`,
        'x-correlation-id': 'corr-create-order-1',
      }),
    ]);
  });
});
