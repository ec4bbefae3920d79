import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { validateEvent } from '@b2b/contracts/events';
import { OUTBOX_COLUMNS, sql, toEnvelope, type EventEnvelope, type OutboxRow } from '@b2b/service-kit';
import {
  freePort,
  pollUntil,
  scrapeMetrics,
  seriesKey,
  TEST_AUTH,
  type HttpClient,
  type TestResponse,
  useOutbox,
} from '@b2b/service-kit/testing';
import { ORDERS_OUTBOX } from '@b2b/orders-api/events';
import { expireReservations } from '@b2b/orders-api/reservation-expiry';
import { createOrdersMetrics } from '../src/metrics';
import { silentLogger, startSystem, unique, type System } from './helpers';

/**
 * Events out, Orders API side: every committed change writes exactly its events into
 * orders_outbox in the same transaction (and a rolled-back or refused one none), the GET
 * /events feed serves them once each in feed order, /health reports the relay, and /metrics
 * counts what it published. docs/events.md.
 */

const SHARED_NATS_URL = 'nats://127.0.0.1:4222';

let system: System;
let token: string;

beforeAll(async () => {
  system = await startSystem();
  token = system.token;
});

afterAll(async () => {
  await system?.stop();
});

const { startRelay, stopRelays, drain, withEvents, expectNoEvent, expectEvent } = useOutbox(
  () => system.database.db,
  ORDERS_OUTBOX,
);

const db = () => system.database.db;

const corr = () => unique('corr');
const withCorrelation = (correlationId: string, extra: Record<string, string> = {}) => ({
  'X-Correlation-Id': correlationId,
  ...extra,
});

async function getOrder(api: HttpClient, id: number) {
  const response = await api.get(`/orders/${id}`, { token });
  expect(response.status).toBe(200);
  return response.body;
}

async function getProduct(id: number) {
  const response = await system.api.get(`/products/${id}`, { token });
  expect(response.status).toBe(200);
  return response.body;
}

async function productVersion(id: number): Promise<number> {
  const [row] = (await db().query(sql`SELECT version FROM products WHERE id = ${id}`)) as Array<{
    version: number;
  }>;
  return Number(row!.version);
}

function expectProblem(response: TestResponse, status: number, code?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (code) expect(response.body.code).toBe(code);
}

/** A new order (one line of `qty` of a new product of `stock`), its events already checked elsewhere. */
async function newOrder(options: { qty?: number; stock?: number } = {}) {
  const { order, product, customer } = await system.createOrder(options);
  return { orderId: order.id, productId: product.id, customer };
}

describe('events of order and product changes', () => {
  it('when an order is placed, then one order.created (sequence 1, the request correlation id, data = GET /orders/{id}) and one product.updated per product (new stock, sequence + 1) are written, and a replay writes none', async () => {
    const customer = await system.createCustomer();
    const first = await system.createProduct({ stock: 10 });
    const second = await system.createProduct({ stock: 20 });
    const [firstVersion, secondVersion] = [await productVersion(first.id), await productVersion(second.id)];
    const correlationId = corr();
    const idempotencyKey = unique('key');
    const body = {
      customer_id: customer.id,
      items: [
        { product_id: second.id, qty: 5 },
        { product_id: first.id, qty: 3 },
      ],
    };

    const { result: created, events } = await withEvents(() =>
      system.placeOrder(body, withCorrelation(correlationId, { 'X-Idempotency-Key': idempotencyKey })),
    );

    expect(created.status).toBe(201);
    const order = await getOrder(system.api, created.body.id);
    expect(order).toEqual(created.body);
    const [firstAfter, secondAfter] = [await getProduct(first.id), await getProduct(second.id)];
    expect([firstAfter.stock, secondAfter.stock]).toEqual([7, 15]);
    expect(events).toHaveLength(3);
    expectEvent(events[0], {
      type: 'order.created',
      subject: `orders/${order.id}`,
      subjectsequence: 1,
      correlationid: correlationId,
      data: order,
    });
    expectEvent(events[1], {
      type: 'product.updated',
      subject: `products/${first.id}`,
      subjectsequence: firstVersion + 1,
      correlationid: correlationId,
      data: firstAfter,
    });
    expectEvent(events[2], {
      type: 'product.updated',
      subject: `products/${second.id}`,
      subjectsequence: secondVersion + 1,
      correlationid: correlationId,
      data: secondAfter,
    });
    // A product's first event was product.created (1): its sequence has no gap.
    expect([firstVersion, secondVersion]).toEqual([1, 1]);

    const replay = await expectNoEvent(() =>
      system.placeOrder(body, withCorrelation(corr(), { 'X-Idempotency-Key': idempotencyKey })),
    );
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('when an order is confirmed, then one order.confirmed (sequence 2, data = GET /orders/{id}) is written, and a replayed or repeated confirmation writes none', async () => {
    const { orderId } = await newOrder();
    const correlationId = corr();
    const key = unique('confirm');

    const { result: confirmed, events } = await withEvents(() =>
      system.api.post(`/orders/${orderId}/confirm`, {
        token,
        headers: withCorrelation(correlationId, { 'X-Idempotency-Key': key }),
      }),
    );

    expect(confirmed.status).toBe(200);
    const order = await getOrder(system.api, orderId);
    expect(order.status).toBe('CONFIRMED');
    expect(events).toHaveLength(1);
    expectEvent(events[0], {
      type: 'order.confirmed',
      subject: `orders/${orderId}`,
      subjectsequence: 2,
      correlationid: correlationId,
      data: order,
    });

    const replay = await expectNoEvent(() =>
      system.api.post(`/orders/${orderId}/confirm`, { token, headers: { 'X-Idempotency-Key': key } }),
    );
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    const again = await expectNoEvent(() =>
      system.api.post(`/orders/${orderId}/confirm`, {
        token,
        headers: { 'X-Idempotency-Key': unique('confirm') },
      }),
    );
    expect(again.status).toBe(200);
    expect(again.body).toEqual(order);
  });

  it('when a CREATED order is canceled, then order.canceled (sequence 2, cancel_source CLIENT) and product.updated with the stock given back are written; canceling it again writes none', async () => {
    const { orderId, productId } = await newOrder({ qty: 4, stock: 10 });
    const version = await productVersion(productId);
    const correlationId = corr();

    const { result: canceled, events } = await withEvents(() =>
      system.api.post(`/orders/${orderId}/cancel`, {
        token,
        headers: withCorrelation(correlationId),
        body: { reason: 'Customer changed their mind' },
      }),
    );

    expect(canceled.status).toBe(200);
    const order = await getOrder(system.api, orderId);
    expect(order).toMatchObject({
      status: 'CANCELED',
      cancel_source: 'CLIENT',
      cancel_reason: 'Customer changed their mind',
    });
    const product = await getProduct(productId);
    expect(product.stock).toBe(10);
    expect(events).toHaveLength(2);
    expectEvent(events[0], {
      type: 'order.canceled',
      subject: `orders/${orderId}`,
      subjectsequence: 2,
      correlationid: correlationId,
      data: order,
    });
    expectEvent(events[1], {
      type: 'product.updated',
      subject: `products/${productId}`,
      subjectsequence: version + 1,
      correlationid: correlationId,
      data: product,
    });

    const again = await expectNoEvent(() => system.api.post(`/orders/${orderId}/cancel`, { token }));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(order);
    expect(await getProduct(productId)).toEqual(product);
  });

  it('when a CONFIRMED order is canceled, then order.canceled has sequence 3 and the stock comes back in a product.updated', async () => {
    const { orderId, productId } = await newOrder({ qty: 2, stock: 5 });
    const confirmed = await system.api.post(`/orders/${orderId}/confirm`, {
      token,
      headers: { 'X-Idempotency-Key': unique('confirm') },
    });
    expect(confirmed.status).toBe(200);
    const version = await productVersion(productId);
    const correlationId = corr();

    const { result: canceled, events } = await withEvents(() =>
      system.api.post(`/orders/${orderId}/cancel`, { token, headers: withCorrelation(correlationId) }),
    );

    expect(canceled.status).toBe(200);
    const order = await getOrder(system.api, orderId);
    const product = await getProduct(productId);
    expect(product.stock).toBe(5);
    expect(events).toHaveLength(2);
    expectEvent(events[0], {
      type: 'order.canceled',
      subject: `orders/${orderId}`,
      subjectsequence: 3,
      correlationid: correlationId,
      data: order,
    });
    expect(order).toMatchObject({ status: 'CANCELED', cancel_source: 'CLIENT' });
    expectEvent(events[1], {
      type: 'product.updated',
      subject: `products/${productId}`,
      subjectsequence: version + 1,
      correlationid: correlationId,
      data: product,
    });
  });

  it('when the orchestrator compensates a CREATED order, then order.canceled says ORCHESTRATOR_COMPENSATION; its refused compensation of a CONFIRMED order writes none', async () => {
    const { orderId, productId } = await newOrder({ qty: 1, stock: 3 });
    const correlationId = corr();

    const { result: canceled, events } = await withEvents(() =>
      system.api.post(`/orders/${orderId}/cancel`, {
        token: TEST_AUTH.serviceToken,
        headers: withCorrelation(correlationId),
        body: { source: 'ORCHESTRATOR_COMPENSATION', reason: 'Confirmation failed' },
      }),
    );

    expect(canceled.status).toBe(200);
    const order = await getOrder(system.api, orderId);
    expect(order).toMatchObject({
      cancel_source: 'ORCHESTRATOR_COMPENSATION',
      cancel_reason: 'Confirmation failed',
    });
    expect(events.map((event) => [event.type, event.subject, event.subjectsequence])).toEqual([
      ['order.canceled', `orders/${orderId}`, 2],
      ['product.updated', `products/${productId}`, 3],
    ]);
    expectEvent(events[0], {
      type: 'order.canceled',
      subject: `orders/${orderId}`,
      subjectsequence: 2,
      correlationid: correlationId,
      data: order,
    });
    expectEvent(events[1], {
      type: 'product.updated',
      subject: `products/${productId}`,
      subjectsequence: 3,
      correlationid: correlationId,
      data: await getProduct(productId),
    });

    const { orderId: confirmedId } = await newOrder();
    await system.api.post(`/orders/${confirmedId}/confirm`, {
      token,
      headers: { 'X-Idempotency-Key': unique('confirm') },
    });
    const refused = await expectNoEvent(() =>
      system.api.post(`/orders/${confirmedId}/cancel`, {
        token: TEST_AUTH.serviceToken,
        body: { source: 'ORCHESTRATOR_COMPENSATION' },
      }),
    );
    expectProblem(refused, 409);
  });

  it('when the reservation sweep cancels an expired order, then order.canceled says RESERVATION_EXPIRY with the sweep correlation id, and the stock comes back in a product.updated', async () => {
    const { orderId, productId } = await newOrder({ qty: 6, stock: 8 });
    await db().query(sql`UPDATE orders SET created_at = NOW(3) - INTERVAL 31 MINUTE WHERE id = ${orderId}`);
    const version = await productVersion(productId);
    const sweepId = unique('sweep');

    const { result: swept, events } = await withEvents(() =>
      expireReservations(db(), silentLogger, {
        ttlMinutes: 30,
        outbox: ORDERS_OUTBOX,
        correlationId: sweepId,
      }),
    );

    expect(swept).toEqual([orderId]);
    const order = await getOrder(system.api, orderId);
    const product = await getProduct(productId);
    expect(order).toMatchObject({ status: 'CANCELED', cancel_source: 'RESERVATION_EXPIRY' });
    expect(product.stock).toBe(8);
    expect(events).toHaveLength(2);
    expectEvent(events[0], {
      type: 'order.canceled',
      subject: `orders/${orderId}`,
      subjectsequence: 2,
      correlationid: sweepId,
      data: order,
    });
    expectEvent(events[1], {
      type: 'product.updated',
      subject: `products/${productId}`,
      subjectsequence: version + 1,
      correlationid: sweepId,
      data: product,
    });

    // A sweep with nothing to do writes nothing.
    await expectNoEvent(() =>
      expireReservations(db(), silentLogger, { ttlMinutes: 30, outbox: ORDERS_OUTBOX }),
    );
  });

  it('when a product is created and then edited, then product.created (sequence 1) and product.updated (sequence 2) carry GET /products/{id}', async () => {
    const createdCorrelation = corr();
    const { result: created, events: createdEvents } = await withEvents(() =>
      system.api.post('/products', {
        token,
        headers: withCorrelation(createdCorrelation),
        body: { sku: unique('SKU'), name: 'Crate', price_cents: 990, stock: 40 },
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect(await getProduct(id)).toEqual(created.body);
    expect(createdEvents).toHaveLength(1);
    expectEvent(createdEvents[0], {
      type: 'product.created',
      subject: `products/${id}`,
      subjectsequence: 1,
      correlationid: createdCorrelation,
      data: created.body,
    });

    const updatedCorrelation = corr();
    const { result: updated, events: updatedEvents } = await withEvents(() =>
      system.api.patch(`/products/${id}`, {
        token,
        headers: withCorrelation(updatedCorrelation),
        body: { name: 'Crate, large', price_cents: 1290 },
      }),
    );
    expect(updated.status).toBe(200);
    const product = await getProduct(id);
    expect(product).toEqual(updated.body);
    expect(product).toMatchObject({ name: 'Crate, large', price_cents: 1290, stock: 40 });
    expect(updatedEvents).toHaveLength(1);
    expectEvent(updatedEvents[0], {
      type: 'product.updated',
      subject: `products/${id}`,
      subjectsequence: 2,
      correlationid: updatedCorrelation,
      data: product,
    });
  });

  it('when a change is refused (409 insufficient stock or taken sku, 404, 422, 400), then no event is written', async () => {
    const { orderId, productId, customer } = await newOrder({ qty: 1, stock: 2 });
    const product = await getProduct(productId);

    expectProblem(
      await expectNoEvent(() =>
        system.placeOrder({ customer_id: customer.id, items: [{ product_id: productId, qty: 5 }] }),
      ),
      409,
      'INSUFFICIENT_STOCK',
    );
    expect(await getProduct(productId)).toEqual(product);
    expectProblem(
      await expectNoEvent(() =>
        system.placeOrder({ customer_id: customer.id, items: [{ product_id: 9_000_000_000, qty: 1 }] }),
      ),
      422,
      'PRODUCT_NOT_FOUND',
    );
    expectProblem(
      await expectNoEvent(() => system.placeOrder({ customer_id: customer.id, items: [] })),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await expectNoEvent(() =>
        system.api.post('/orders/9000000000/confirm', {
          token,
          headers: { 'X-Idempotency-Key': unique('k') },
        }),
      ),
      404,
    );
    expectProblem(await expectNoEvent(() => system.api.post('/orders/9000000000/cancel', { token })), 404);
    expectProblem(
      await expectNoEvent(() =>
        system.api.post(`/orders/${orderId}/cancel`, { token, body: { source: 'RESERVATION_EXPIRY' } }),
      ),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await expectNoEvent(() => system.api.patch('/products/9000000000', { token, body: { stock: 1 } })),
      404,
    );
    expectProblem(
      await expectNoEvent(() => system.api.patch(`/products/${productId}`, { token, body: { stock: -1 } })),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await expectNoEvent(() =>
        system.api.post('/products', {
          token,
          body: { sku: product.sku.toLowerCase(), name: 'Twin', price_cents: 1, stock: 1 },
        }),
      ),
      409,
      'SKU_TAKEN',
    );
    expect(await getProduct(productId)).toEqual(product);
  });
});

describe('a rolled-back change', () => {
  /**
   * Makes every outbox insert of `marker`'s requests fail: the change's own statements ran,
   * its event's insert fails. A trigger of this test's database (created over a plain mysql2
   * connection: a BEGIN … END body is one statement with semicolons inside).
   */
  async function failingEventsOf(marker: string) {
    const trigger = `fail_events_${randomBytes(4).toString('hex')}`;
    const connection = await mysql.createConnection({ uri: system.database.url });
    try {
      await connection.query(
        `CREATE TRIGGER ${trigger} BEFORE INSERT ON orders_outbox FOR EACH ROW
         BEGIN
           IF NEW.correlation_id = ${connection.escape(marker)} THEN
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'forced failure of the event insert';
           END IF;
         END`,
      );
    } finally {
      await connection.end();
    }
    return { drop: () => db().query(sql`DROP TRIGGER IF EXISTS ${sql.ident(trigger)}`) };
  }

  it('when writing its event fails after the write, then the request fails and neither the change nor any event exists', async () => {
    const marker = unique('rollback');
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 9 });
    const { orderId } = await newOrder();
    const order = await getOrder(system.api, orderId);
    const version = await productVersion(product.id);
    const trigger = await failingEventsOf(marker);
    try {
      const [orders, items] = [await system.countRows('orders'), await system.countRows('order_items')];
      const key = unique('key');

      const placed = await expectNoEvent(() =>
        system.placeOrder(
          { customer_id: customer.id, items: [{ product_id: product.id, qty: 4 }] },
          withCorrelation(marker, { 'X-Idempotency-Key': key }),
        ),
      );
      expect(placed.status).toBeGreaterThanOrEqual(500);
      expectProblem(placed, placed.status);
      expect([await system.countRows('orders'), await system.countRows('order_items')]).toEqual([
        orders,
        items,
      ]);
      expect(await getProduct(product.id)).toEqual(product);
      expect(await productVersion(product.id)).toBe(version);

      const confirmed = await expectNoEvent(() =>
        system.api.post(`/orders/${orderId}/confirm`, {
          token,
          headers: withCorrelation(marker, { 'X-Idempotency-Key': unique('confirm') }),
        }),
      );
      expect(confirmed.status).toBeGreaterThanOrEqual(500);
      expect(await getOrder(system.api, orderId)).toEqual(order);

      const canceled = await expectNoEvent(() =>
        system.api.post(`/orders/${orderId}/cancel`, { token, headers: withCorrelation(marker) }),
      );
      expect(canceled.status).toBeGreaterThanOrEqual(500);
      expect(await getOrder(system.api, orderId)).toEqual(order);

      const patched = await expectNoEvent(() =>
        system.api.patch(`/products/${product.id}`, {
          token,
          headers: withCorrelation(marker),
          body: { stock: 1 },
        }),
      );
      expect(patched.status).toBeGreaterThanOrEqual(500);
      expect(await getProduct(product.id)).toEqual(product);

      const createdProduct = await expectNoEvent(() =>
        system.api.post('/products', {
          token,
          headers: withCorrelation(marker),
          body: { sku: unique('SKU'), name: 'Never', price_cents: 1, stock: 1 },
        }),
      );
      expect(createdProduct.status).toBeGreaterThanOrEqual(500);

      // The same key again, now without the failure: the order is placed once, and the
      // product's sequence goes on without a gap.
      const retried = await withEvents(() =>
        system.placeOrder(
          { customer_id: customer.id, items: [{ product_id: product.id, qty: 4 }] },
          { 'X-Idempotency-Key': key },
        ),
      );
      expect(retried.result.status).toBe(201);
      expect(retried.result.headers.get('Idempotent-Replayed')).toBeNull();
      expect(retried.events.map((event) => [event.type, event.subject, event.subjectsequence])).toEqual([
        ['order.created', `orders/${retried.result.body.id}`, 1],
        ['product.updated', `products/${product.id}`, version + 1],
      ]);
      expect(await system.countRows('orders')).toBe(orders + 1);
    } finally {
      await trigger.drop();
    }
  });
});

describe('EVENTS=off', () => {
  it('when the app is created with events off, then its changes write no outbox rows', async () => {
    const api = await system.startOrdersApi({ events: 'off' });
    const customer = await system.createCustomer();

    await expectNoEvent(async () => {
      const product = await api.post('/products', {
        token,
        body: { sku: unique('SKU'), name: 'Quiet', price_cents: 100, stock: 10 },
      });
      expect(product.status).toBe(201);
      expect((await api.patch(`/products/${product.body.id}`, { token, body: { stock: 12 } })).status).toBe(
        200,
      );
      const line = { customer_id: customer.id, items: [{ product_id: product.body.id, qty: 1 }] };
      const first = await api.post('/orders', { token, body: line });
      const second = await api.post('/orders', { token, body: line });
      expect([first.status, second.status]).toEqual([201, 201]);
      const confirm = await api.post(`/orders/${first.body.id}/confirm`, {
        token,
        headers: { 'X-Idempotency-Key': unique('confirm') },
      });
      expect(confirm.status).toBe(200);
      expect((await api.post(`/orders/${first.body.id}/cancel`, { token })).status).toBe(200);
      expect((await api.post(`/orders/${second.body.id}/cancel`, { token })).status).toBe(200);
    });
  });
});

describe('GET /events', () => {
  /** Every numbered event as the outbox holds it, in feed order. */
  async function feedFromTable(type?: string): Promise<EventEnvelope[]> {
    const ofType = type === undefined ? sql`` : sql`AND type = ${type}`;
    const rows = (await db().query(sql`
      SELECT ${OUTBOX_COLUMNS} FROM orders_outbox WHERE feed_position IS NOT NULL ${ofType} ORDER BY feed_position
    `)) as OutboxRow[];
    return rows.map((row) => toEnvelope(ORDERS_OUTBOX, row));
  }

  /** Follows next_cursor from `after` until an empty page; every event and the last cursor. */
  async function readFeed(api: HttpClient, query: { type?: string; limit: number; after?: string }) {
    const events: EventEnvelope[] = [];
    let after = query.after;
    for (;;) {
      const params = new URLSearchParams({ limit: String(query.limit) });
      if (query.type) params.set('type', query.type);
      if (after !== undefined) params.set('after', after);
      const page = await api.get(`/events?${params}`, { token });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(query.limit);
      expect(page.body.next_cursor).toEqual(expect.any(String));
      if (page.body.data.length === 0) {
        // An empty page gives back the cursor it was sent.
        if (after !== undefined) expect(page.body.next_cursor).toBe(after);
        return { events, cursor: page.body.next_cursor as string };
      }
      events.push(...page.body.data);
      after = page.body.next_cursor;
    }
  }

  it('when it is paged with limit and next_cursor, then every numbered event comes once, in feed order, and the empty page cursor later gives the new events', async () => {
    // Events of every type, then numbered.
    const { orderId } = await newOrder();
    await system.api.post(`/orders/${orderId}/confirm`, {
      token,
      headers: { 'X-Idempotency-Key': unique('k') },
    });
    const relay = startRelay();
    await drain(relay);

    const expected = await feedFromTable();
    expect(expected.length).toBeGreaterThan(10);
    const { events, cursor } = await readFeed(system.api, { limit: 7 });
    expect(events).toEqual(expected);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    for (const event of events) expect(validateEvent(event)).toEqual({ valid: true });
    // Numbered in the order written (the writes of this file are sequential), 1, 2, 3 …
    const positions = (await db().query(
      sql`SELECT feed_position FROM orders_outbox WHERE feed_position IS NOT NULL ORDER BY position`,
    )) as Array<{ feed_position: string | number }>;
    expect(positions.map((row) => Number(row.feed_position))).toEqual(expected.map((_, index) => index + 1));

    // Polling the empty page's cursor: nothing until the relay numbers the next change.
    const correlationId = corr();
    const product = await system.api.post('/products', {
      token,
      headers: withCorrelation(correlationId),
      body: { sku: unique('SKU'), name: 'Late', price_cents: 5, stock: 5 },
    });
    const waiting = await system.api.get(`/events?after=${cursor}`, { token });
    expect(waiting.body).toEqual({ data: [], next_cursor: cursor });
    expect(await relay.runOnce()).toBe(1);
    const next = await system.api.get(`/events?after=${cursor}`, { token });
    expect(next.status).toBe(200);
    expect(next.body.data).toHaveLength(1);
    expectEvent(next.body.data[0], {
      type: 'product.created',
      subject: `products/${product.body.id}`,
      subjectsequence: 1,
      correlationid: correlationId,
      data: product.body,
    });
    expect(next.body.next_cursor).not.toBe(cursor);
    expect((await system.api.get(`/events?after=${next.body.next_cursor}`, { token })).body).toEqual({
      data: [],
      next_cursor: next.body.next_cursor,
    });
  });

  it('when type=order.confirmed is given, then only order.confirmed events come, all of them', async () => {
    const { orderId } = await newOrder();
    await system.api.post(`/orders/${orderId}/confirm`, {
      token,
      headers: { 'X-Idempotency-Key': unique('k') },
    });
    await drain(startRelay());

    const expected = await feedFromTable('order.confirmed');
    expect(expected.length).toBeGreaterThan(1);
    const { events } = await readFeed(system.api, { type: 'order.confirmed', limit: 1 });
    expect(events).toEqual(expected);
    expect(new Set(events.map((event) => event.type))).toEqual(new Set(['order.confirmed']));

    const unknownType = await system.api.get('/events?type=customer.created', { token });
    expectProblem(unknownType, 400, 'VALIDATION_FAILED');
  });

  it('when a cursor is used with another type, edited, or comes from the Customers API feed, then the answer is 400 INVALID_CURSOR naming query.after', async () => {
    await drain(startRelay());
    const plain = await system.api.get('/events?limit=1', { token });
    const typed = await system.api.get('/events?limit=1&type=order.created', { token });
    const [plainCursor, typedCursor] = [plain.body.next_cursor as string, typed.body.next_cursor as string];
    // The Customers API's feed: same secret, same list name, another outbox.
    const customersFeed = await system.customersApi.get('/events?limit=1', { token });
    const customersCursor = customersFeed.body.next_cursor as string;

    const edited = `${plainCursor.slice(0, 4)}${plainCursor[4] === 'A' ? 'B' : 'A'}${plainCursor.slice(5)}`;
    for (const path of [
      `/events?after=${plainCursor}&type=order.confirmed`,
      `/events?after=${typedCursor}`,
      `/events?after=${typedCursor}&type=order.confirmed`,
      `/events?after=${edited}`,
      '/events?after=not-a-cursor',
      `/events?after=${customersCursor}`,
    ]) {
      const response = await system.api.get(path, { token });
      expectProblem(response, 400, 'INVALID_CURSOR');
      expect(response.body.errors).toEqual([{ field: 'query.after', message: 'is not a valid cursor' }]);
    }
  });

  it('when it is asked without a token, then 401; with the service token, then the same page as an operator', async () => {
    await drain(startRelay());
    expectProblem(await system.api.get('/events'), 401);
    const asOperator = await system.api.get('/events?limit=5', { token });
    const asService = await system.api.get('/events?limit=5', { token: TEST_AUTH.serviceToken });
    expect(asService.status).toBe(200);
    expect(asService.body).toEqual(asOperator.body);
    expect(asService.body.data).toHaveLength(5);
  });

  it('when a cursor of one app instance is sent to another with the same cursor secret (a restart), then it works; with another secret, 400', async () => {
    await drain(startRelay());
    const first = await system.api.get('/events?limit=3&type=product.updated', { token });
    const restarted = await system.startOrdersApi();
    const onFirst = await system.api.get(
      `/events?limit=3&type=product.updated&after=${first.body.next_cursor}`,
      {
        token,
      },
    );
    const onRestarted = await restarted.get(
      `/events?limit=3&type=product.updated&after=${first.body.next_cursor}`,
      {
        token,
      },
    );
    expect(onRestarted.status).toBe(200);
    expect(onRestarted.body).toEqual(onFirst.body);
    expect(onRestarted.body.data).toHaveLength(3);

    const otherSecret = await system.startOrdersApi({
      cursorSecret: 'another-cursor-secret-0123456789abcdef',
    });
    expectProblem(
      await otherSecret.get(`/events?type=product.updated&after=${first.body.next_cursor}`, { token }),
      400,
      'INVALID_CURSOR',
    );
  });
});

describe('/health and /metrics of the relay', () => {
  it('when the relay publishes nothing (EVENTS_PUBLISH=off), then /health says events off', async () => {
    const relay = startRelay();
    await drain(relay);
    const api = await system.startOrdersApi({ eventRelay: relay });
    const health = await api.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      checks: { database: 'up', events: 'off' },
      events: { broker: 'off', oldest_unpublished_seconds: null },
    });
  });

  it('when the broker is unreachable, then /health is still 200 ok with events degraded, and says how old the oldest waiting event is', async () => {
    const suffix = randomBytes(4).toString('hex');
    const relay = startRelay({
      broker: {
        url: `nats://127.0.0.1:${await freePort()}`,
        stream: `TEST_UNREACHABLE_${suffix}`,
        subjectPrefix: `test.unreachable.${suffix}`,
      },
    });
    const api = await system.startOrdersApi({ eventRelay: relay });
    const product = await system.createProduct();
    expect(product.id).toBeGreaterThan(0);

    const health = await pollUntil(
      'an unpublished event reported by /health',
      async () => {
        await relay.runOnce();
        const response = await api.get('/health');
        return typeof response.body?.events?.oldest_unpublished_seconds === 'number' ? response : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      checks: { database: 'up', events: 'degraded' },
      events: { broker: 'unreachable', oldest_unpublished_seconds: expect.any(Number) },
    });
    expect(health.body.events.oldest_unpublished_seconds).toBeGreaterThanOrEqual(0);
    const [waiting] = (await db().query(
      sql`SELECT COUNT(*) AS count FROM orders_outbox WHERE published_at IS NULL`,
    )) as Array<{ count: string | number }>;
    expect(Number(waiting!.count)).toBeGreaterThan(0);
  });

  it('when a relay publishes to JetStream, then /metrics counts exactly the events published, and the stream holds them in feed order', async () => {
    const suffix = randomBytes(4).toString('hex');
    const broker = {
      url: SHARED_NATS_URL,
      stream: `TEST_EVENTS_${suffix}`,
      subjectPrefix: `test.events.${suffix}`,
    };
    const metrics = createOrdersMetrics();
    const api = await system.startOrdersApi({ metrics });
    const connection = await connect({ servers: SHARED_NATS_URL });
    try {
      await newOrder();
      const relay = startRelay({ broker, registry: metrics.registry });
      const [unpublished] = (await db().query(
        sql`SELECT COUNT(*) AS count FROM orders_outbox WHERE published_at IS NULL`,
      )) as Array<{ count: string | number }>;
      const expectedCount = Number(unpublished!.count);
      expect(expectedCount).toBeGreaterThan(0);
      await pollUntil(
        'the relay connected to NATS',
        async () => relay.state().broker === 'connected' || undefined,
        {
          timeoutMs: 10_000,
        },
      );

      const published = await drain(relay);

      expect(published).toBe(expectedCount);
      const samples = await scrapeMetrics(api);
      expect(samples.get(seriesKey('outbox_events_published_total', { outbox: 'orders_outbox' }))).toBe(
        expectedCount,
      );
      expect(samples.get(seriesKey('outbox_publish_failures_total', { outbox: 'orders_outbox' }))).toBe(0);
      expect(
        samples.get(seriesKey('outbox_oldest_unpublished_age_seconds', { outbox: 'orders_outbox' })),
      ).toBe(0);
      const [left] = (await db().query(
        sql`SELECT COUNT(*) AS count FROM orders_outbox WHERE published_at IS NULL`,
      )) as Array<{ count: string | number }>;
      expect(Number(left!.count)).toBe(0);

      const manager = await jetstreamManager(connection);
      expect((await manager.streams.info(broker.stream)).state.messages).toBe(expectedCount);
      const feed = (
        (await db().query(
          sql`SELECT ${OUTBOX_COLUMNS} FROM orders_outbox ORDER BY feed_position`,
        )) as OutboxRow[]
      ).map((row) => toEnvelope(ORDERS_OUTBOX, row));
      const stored = [];
      for (let seq = 1; seq <= expectedCount; seq += 1) {
        const message = await manager.streams.getMessage(broker.stream, { seq });
        stored.push({
          subject: message!.subject,
          msgId: message!.header.get('Nats-Msg-Id'),
          body: message!.json(),
        });
      }
      expect(stored).toEqual(
        feed.map((event) => ({
          subject: `${broker.subjectPrefix}.${event.type}`,
          msgId: event.id,
          body: event,
        })),
      );

      const health = await system.startOrdersApi({ eventRelay: relay });
      expect((await health.get('/health')).body.events).toEqual({
        broker: 'connected',
        oldest_unpublished_seconds: null,
      });
    } finally {
      await stopRelays();
      const manager = await jetstreamManager(connection);
      await manager.streams.delete(broker.stream).catch(() => undefined);
      await connection.close();
    }
  });
});
