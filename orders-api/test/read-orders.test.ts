import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { document } from '@b2b/contracts/orders';
import { DEVELOPMENT_CURSOR_SECRET, sql } from '@b2b/service-kit';
import { documentedCursors, expectInvalidCursor, secondPageCursor } from '@b2b/service-kit/testing';
import { startSystem, type System } from './helpers';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

async function setCreatedAt(orderId: number, createdAt: string): Promise<void> {
  await system.database.db.query(
    sql`UPDATE orders SET created_at = ${new Date(createdAt)} WHERE id = ${orderId}`,
  );
}

/** Builds the query the way a careful client does, percent-encoded. */
const ordersPath = (query: Record<string, string>) => `/orders?${new URLSearchParams(query)}`;

async function listIds(query: Record<string, string>): Promise<number[]> {
  const response = await system.api.get(ordersPath(query), { token: system.token });
  expect(response.status).toBe(200);
  return response.body.data.map((order: { id: number }) => order.id);
}

describe('GET /orders/{id}', () => {
  it('when the order exists, then 200 with its items', async () => {
    const { order, product } = await system.createOrder({ qty: 3 });

    const response = await system.api.get(`/orders/${order.id}`, { token: system.token });

    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      {
        product_id: product.id,
        sku: product.sku,
        name: product.name,
        qty: 3,
        unit_price_cents: product.price_cents,
        subtotal_cents: 3 * product.price_cents,
      },
    ]);
  });

  it('when the order does not exist, then 404 ORDER_NOT_FOUND', async () => {
    const response = await system.api.get('/orders/999999999', { token: system.token });

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({
      code: 'ORDER_NOT_FOUND',
      detail: 'Order 999999999 does not exist.',
    });
  });
});

describe('GET /orders', () => {
  // Orders far in the future, so the range filters pick exactly these whatever else exists.
  let first: number;
  let second: number;
  let third: number;
  let tiedLow: number;
  let tiedHigh: number;

  beforeAll(async () => {
    const ids: number[] = [];
    for (let index = 0; index < 5; index++) ids.push((await system.createOrder()).order.id);
    [first, second, third, tiedLow, tiedHigh] = ids as [number, number, number, number, number];
    await setCreatedAt(first, '2090-01-01T00:00:00.000Z');
    await setCreatedAt(second, '2090-01-02T00:00:00.000Z');
    await setCreatedAt(third, '2090-01-03T00:00:00.000Z');
    await setCreatedAt(tiedLow, '2090-01-04T00:00:00.000Z');
    await setCreatedAt(tiedHigh, '2090-01-04T00:00:00.000Z');
    await system.api.post(`/orders/${second}/confirm`, {
      token: system.token,
      headers: { 'X-Idempotency-Key': randomUUID() },
    });
  });

  it('when listing, then orders come newest first by created_at then id, each with its items', async () => {
    const response = await system.api.get(ordersPath({ from: '2090-01-01T00:00:00Z' }), {
      token: system.token,
    });

    expect(response.body.data.map((order: { id: number }) => order.id)).toEqual([
      tiedHigh,
      tiedLow,
      third,
      second,
      first,
    ]);
    for (const order of response.body.data) expect(order.items).toHaveLength(1);
    expect(response.body.next_cursor).toBeNull();
  });

  it('when filtering by from and to, then from is inclusive and to exclusive', async () => {
    expect(await listIds({ from: '2090-01-02T00:00:00Z', to: '2090-01-03T00:00:00Z' })).toEqual([second]);
    expect(await listIds({ from: '2090-01-02T00:00:00.000Z', to: '2090-01-03T00:00:00.001Z' })).toEqual([
      third,
      second,
    ]);
    expect(await listIds({ from: '2090-01-02T01:00:00+01:00', to: '2090-01-02T00:00:00.001Z' })).toEqual([
      second,
    ]);
  });

  it('when from and to are typed with raw colons, then they are accepted as well', async () => {
    const response = await system.api.get('/orders?from=2090-01-02T00:00:00Z&to=2090-01-03T00:00:00Z', {
      token: system.token,
    });

    expect(response.status).toBe(200);
    expect(response.body.data.map((order: { id: number }) => order.id)).toEqual([second]);
  });

  it('when from is not before to, then nothing matches', async () => {
    expect(await listIds({ from: '2090-01-03T00:00:00Z', to: '2090-01-03T00:00:00Z' })).toEqual([]);
    expect(await listIds({ from: '2090-01-04T00:00:00Z', to: '2090-01-01T00:00:00Z' })).toEqual([]);
  });

  it('when filtering by status, then only orders with that status come back', async () => {
    expect(await listIds({ status: 'CONFIRMED', from: '2090-01-01T00:00:00Z' })).toEqual([second]);
    expect(await listIds({ status: 'CREATED', from: '2090-01-01T00:00:00Z' })).toEqual([
      tiedHigh,
      tiedLow,
      third,
      first,
    ]);
  });

  it('when paging one order at a time, then every order comes once, across equal created_at too', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { from: '2090-01-01T00:00:00Z', limit: '1' };
      if (cursor) query.cursor = cursor;
      const page = await system.api.get(ordersPath(query), { token: system.token });
      expect(page.status).toBe(200);
      expect(page.body.data).toHaveLength(1);
      seen.push(page.body.data[0].id);
      cursor = page.body.next_cursor;
    } while (cursor);

    expect(seen).toEqual([tiedHigh, tiedLow, third, second, first]);
  });

  it('when the cursor is made by hand, then 400 INVALID_CURSOR', async () => {
    const handMade = [[18], [5], ['not a date', 5], ['2090-01-04T00:00:00.000Z', tiedHigh]].map((position) =>
      Buffer.from(JSON.stringify(position)).toString('base64url'),
    );

    for (const cursor of [...handMade, 'garbage']) {
      expectInvalidCursor(await system.api.get(`/orders?cursor=${cursor}`, { token: system.token }));
    }
  });

  it('when a cursor of GET /products or GET /customers is used on GET /orders, then 400 INVALID_CURSOR', async () => {
    const productsCursor = await secondPageCursor(system.api, '/products?limit=1', system.token);
    const customersCursor = await secondPageCursor(system.customersApi, '/customers?limit=1', system.token);

    for (const cursor of [productsCursor, customersCursor]) {
      expectInvalidCursor(await system.api.get(`/orders?limit=1&cursor=${cursor}`, { token: system.token }));
    }
  });

  it('when a cursor is used with other filters, then 400 INVALID_CURSOR', async () => {
    const issuedWith = { status: 'CREATED', from: '2090-01-01T00:00:00Z', limit: '1' };
    const cursor = await secondPageCursor(system.api, ordersPath(issuedWith), system.token);

    const otherFilters: Array<Record<string, string>> = [
      { status: 'CONFIRMED', from: issuedWith.from },
      { from: issuedWith.from },
      { status: 'CREATED', from: '2090-01-01T00:00:00.001Z' },
      { status: 'CREATED', from: issuedWith.from, to: '2090-02-01T00:00:00Z' },
      { status: 'CREATED', to: issuedWith.from },
    ];
    for (const filters of otherFilters) {
      const response = await system.api.get(ordersPath({ ...filters, limit: '1', cursor }), {
        token: system.token,
      });
      expectInvalidCursor(response);
    }
  });

  it('when a cursor is used with the same instants written another way and another limit, then the next page comes', async () => {
    const cursor = await secondPageCursor(
      system.api,
      ordersPath({ status: 'CREATED', from: '2090-01-01T00:00:00Z', limit: '1' }),
      system.token,
    );

    const response = await system.api.get(
      ordersPath({ status: 'CREATED', from: '2090-01-01T01:00:00.000+01:00', limit: '10', cursor }),
      { token: system.token },
    );

    expect(response.status).toBe(200);
    expect(response.body.data.map((order: { id: number }) => order.id)).toEqual([tiedLow, third, first]);
  });

  it('when a byte of a cursor is edited, then 400 INVALID_CURSOR', async () => {
    const query = { from: '2090-01-01T00:00:00Z', limit: '1' };
    const bytes = Buffer.from(
      await secondPageCursor(system.api, ordersPath(query), system.token),
      'base64url',
    );

    for (const index of [0, 16, bytes.length - 2]) {
      const edited = Buffer.from(bytes);
      edited[index] = edited[index]! ^ 0x01;
      const response = await system.api.get(ordersPath({ ...query, cursor: edited.toString('base64url') }), {
        token: system.token,
      });
      expectInvalidCursor(response);
    }
  });

  it('when a cursor was signed with another CURSOR_SECRET, then 400 INVALID_CURSOR', async () => {
    const query = { from: '2090-01-01T00:00:00Z', limit: '1' };
    const other = await system.startOrdersApi({ cursorSecret: 'another-cursor-secret-0123456789abcdef' });
    const foreign = await secondPageCursor(other, ordersPath(query), system.token);

    expectInvalidCursor(
      await system.api.get(ordersPath({ ...query, cursor: foreign }), { token: system.token }),
    );
  });

  it('when a filter is malformed, then 400 VALIDATION_FAILED', async () => {
    const malformed: Array<Record<string, string>> = [
      { status: 'SHIPPED' },
      { from: 'yesterday' },
      { from: '2024-13-01T00:00:00Z' },
      { to: '2016-12-31T23:59:60Z' },
      { limit: '101' },
    ];
    for (const query of malformed) {
      const response = await system.api.get(ordersPath(query), { token: system.token });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('GET /orders?customer_id=', () => {
  /** Orders of `customerId`, each of one unit of a new product, created one after the other. */
  async function ordersOf(customerId: number, count: number): Promise<number[]> {
    const ids: number[] = [];
    for (let index = 0; index < count; index++) {
      const product = await system.createProduct();
      const response = await system.placeOrder({
        customer_id: customerId,
        items: [{ product_id: product.id, qty: 1 }],
      });
      expect(response.status).toBe(201);
      ids.push(response.body.id);
    }
    return ids;
  }

  let buyer: number;
  let other: number;
  let buyerOrders: number[];

  beforeAll(async () => {
    buyer = (await system.createCustomer()).id;
    other = (await system.createCustomer()).id;
    buyerOrders = await ordersOf(buyer, 3);
    await ordersOf(other, 2);
    // Two of the buyer's orders share a created_at: the cursor's id breaks the tie.
    await setCreatedAt(buyerOrders[0]!, '2091-03-01T00:00:00.000Z');
    await setCreatedAt(buyerOrders[1]!, '2091-03-02T00:00:00.000Z');
    await setCreatedAt(buyerOrders[2]!, '2091-03-02T00:00:00.000Z');
    await system.api.post(`/orders/${buyerOrders[1]}/confirm`, {
      token: system.token,
      headers: { 'X-Idempotency-Key': randomUUID() },
    });
  });

  it('when filtering by customer, then only their orders come, newest first', async () => {
    const [first, second, third] = buyerOrders as [number, number, number];

    expect(await listIds({ customer_id: String(buyer) })).toEqual([third, second, first]);
  });

  it('when the customer filter is combined with status, from and to, then every filter applies', async () => {
    const [first, second, third] = buyerOrders as [number, number, number];

    expect(await listIds({ customer_id: String(buyer), status: 'CONFIRMED' })).toEqual([second]);
    expect(await listIds({ customer_id: String(buyer), status: 'CREATED' })).toEqual([third, first]);
    expect(
      await listIds({
        customer_id: String(buyer),
        from: '2091-03-01T00:00:00Z',
        to: '2091-03-02T00:00:00Z',
      }),
    ).toEqual([first]);
    expect(await listIds({ customer_id: String(other), from: '2091-01-01T00:00:00Z' })).toEqual([]);
  });

  it('when no order has the customer id, then 200 and an empty page', async () => {
    expect(await listIds({ customer_id: '999999999' })).toEqual([]);
  });

  it('when paging one order at a time, then the cursor leads through this customer orders only', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { customer_id: String(buyer), limit: '1' };
      if (cursor) query.cursor = cursor;
      const page = await system.api.get(ordersPath(query), { token: system.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((order: { id: number }) => order.id));
      cursor = page.body.next_cursor;
    } while (cursor);

    expect(seen).toEqual([...buyerOrders].reverse());
  });

  it('when a cursor of one customer list is used for another customer or without the filter, then 400 INVALID_CURSOR', async () => {
    const cursor = await secondPageCursor(
      system.api,
      ordersPath({ customer_id: String(buyer), limit: '1' }),
      system.token,
    );

    const otherFilters: Array<Record<string, string>> = [
      { customer_id: String(other) },
      {},
      { customer_id: String(buyer), status: 'CREATED' },
    ];
    for (const filters of otherFilters) {
      expectInvalidCursor(
        await system.api.get(ordersPath({ ...filters, limit: '1', cursor }), { token: system.token }),
      );
    }
  });

  it('when customer_id is not a positive plain integer, then 400 VALIDATION_FAILED naming query.customer_id', async () => {
    for (const value of ['0', '-1', 'abc', '1e2', '01']) {
      const response = await system.api.get(`/orders?customer_id=${value}`, { token: system.token });
      expect(response.status, value).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(
        'query.customer_id',
      );
    }
  });
});

describe('the cursors the contract shows', () => {
  it.each([
    ['/products', 1],
    ['/orders', 1],
  ])(
    'when the API runs with the development CURSOR_SECRET, then it accepts every cursor the contract shows for GET %s',
    async (path, count) => {
      const { query, cursors } = documentedCursors(document, path);
      expect(cursors).toHaveLength(count);
      const development = await system.startOrdersApi({ cursorSecret: DEVELOPMENT_CURSOR_SECRET });

      for (const cursor of cursors) {
        const response = await development.get(`${path}?${query}&cursor=${cursor}`, { token: system.token });
        expect(response.status, cursor).toBe(200);
        // The secret is what makes them valid: the test secret refuses them.
        expectInvalidCursor(
          await system.api.get(`${path}?${query}&cursor=${cursor}`, { token: system.token }),
        );
      }
    },
  );
});
