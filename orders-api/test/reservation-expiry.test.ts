import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectDatabase, driverOf, sql, type Database } from '@b2b/service-kit';
import { createGate, metricChanges, parsePrometheusText, seriesKey } from '@b2b/service-kit/testing';
import { createOrdersMetrics, type OrdersMetrics } from '../src/metrics';
import {
  expireReservations,
  reservationExpiredReason,
  scheduleReservationExpiry,
} from '../src/orders/reservation-expiry';
import { capturingLogger, silentLogger, startSystem, type System } from './helpers';
import { ORDERS_OUTBOX } from '../src/events';

const TTL_MINUTES = 30;

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

/** Moves an order's creation `minutes` into the past, as if it had waited that long. */
async function age(orderId: number, minutes: number) {
  await system.database.db.query(
    sql`UPDATE orders SET created_at = NOW(3) - INTERVAL ${minutes} MINUTE WHERE id = ${orderId}`,
  );
}

/** `count` orders of `qty` units each of one new product, created `minutes` ago. */
async function agedOrders(count: number, options: { qty?: number; stock?: number; minutes?: number } = {}) {
  const { qty = 1, stock = 100, minutes = TTL_MINUTES + 1 } = options;
  const customer = await system.createCustomer();
  const product = await system.createProduct({ stock });
  const orderIds: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await system.placeOrder({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty }],
    });
    if (response.status !== 201) throw new Error(`order not placed: ${response.status} ${response.text}`);
    await age(response.body.id, minutes);
    orderIds.push(response.body.id);
  }
  return { product, orderIds };
}

const getOrder = async (id: number) => (await system.api.get(`/orders/${id}`, { token: system.token })).body;

describe('reservation expiry', () => {
  it('when a CREATED order is older than the TTL, then the sweep cancels it by RESERVATION_EXPIRY, restores its stock and logs its id', async () => {
    const { product, orderIds } = await agedOrders(1, { qty: 4, stock: 10 });
    const [orderId] = orderIds;
    const { lines, logger } = capturingLogger();

    const canceled = await expireReservations(system.database.db, logger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
    });

    expect(canceled).toContain(orderId);
    expect(await getOrder(orderId!)).toMatchObject({
      status: 'CANCELED',
      cancel_source: 'RESERVATION_EXPIRY',
      cancel_reason: reservationExpiredReason(TTL_MINUTES),
      canceled_at: expect.any(String),
    });
    expect(await system.stockOf(product.id)).toBe(10);
    expect(lines.filter((line) => line.orderId === orderId)).toEqual([
      expect.objectContaining({ level: 'info', cancelSource: 'RESERVATION_EXPIRY', ttlMinutes: TTL_MINUTES }),
    ]);
  });

  it('when orders are younger than the TTL, or already CONFIRMED or CANCELED, then the sweep leaves them alone', async () => {
    const { product, orderIds } = await agedOrders(3, { qty: 1, stock: 10, minutes: TTL_MINUTES - 1 });
    const [young, confirmed, canceled] = orderIds as [number, number, number];
    await system.api.post(`/orders/${confirmed}/confirm`, {
      token: system.token,
      headers: { 'X-Idempotency-Key': randomUUID() },
    });
    await system.api.post(`/orders/${canceled}/cancel`, { token: system.token });
    await age(confirmed, TTL_MINUTES + 60);
    await age(canceled, TTL_MINUTES + 60);

    const swept = await expireReservations(system.database.db, silentLogger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
    });

    expect(swept).not.toContain(young);
    expect(swept).not.toContain(confirmed);
    expect(swept).not.toContain(canceled);
    expect((await getOrder(young)).status).toBe('CREATED');
    expect(await getOrder(confirmed)).toMatchObject({ status: 'CONFIRMED', cancel_source: null });
    expect(await getOrder(canceled)).toMatchObject({ status: 'CANCELED', cancel_source: 'CLIENT' });
    expect(await system.stockOf(product.id)).toBe(8);
  });

  it('when there are more expired orders than a batch holds, then one sweep cancels them all, batch after batch, stock summed per product', async () => {
    const { product, orderIds } = await agedOrders(5, { qty: 3, stock: 15 });
    expect(await system.stockOf(product.id)).toBe(0);

    const canceled = await expireReservations(system.database.db, silentLogger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
      batchSize: 2,
    });

    expect(canceled).toEqual(expect.arrayContaining(orderIds));
    expect(await system.stockOf(product.id)).toBe(15);
  });

  it('when an expired order is held by a transaction in flight, then the sweep skips it without waiting and cancels the rest', async () => {
    const { product, orderIds } = await agedOrders(3, { qty: 1, stock: 10 });
    const [held, ...others] = orderIds as [number, ...number[]];
    const locked = createGate();
    const release = createGate();
    // What a confirm of `held` holds while it runs: the order's row lock.
    const holder = system.database.db.tx(async (tx) => {
      await tx.query(sql`SELECT id FROM orders WHERE id = ${held} FOR UPDATE`);
      void locked.pass();
      await release.pass();
    });
    await locked.arrived;

    let canceled: number[];
    try {
      canceled = await expireReservations(system.database.db, silentLogger, {
        outbox: ORDERS_OUTBOX,
        ttlMinutes: TTL_MINUTES,
      });
    } finally {
      release.release();
      await holder;
    }

    expect(canceled).not.toContain(held);
    expect(canceled).toEqual(expect.arrayContaining(others));
    expect((await getOrder(held)).status).toBe('CREATED');
    expect(await system.stockOf(product.id)).toBe(9);
  });

  it('when two replicas sweep at once, then every expired order is canceled by exactly one of them and its stock restored once', async () => {
    const { product, orderIds } = await agedOrders(20, { qty: 2, stock: 40 });
    const replicas: Database[] = [connectDatabase(system.database.url), connectDatabase(system.database.url)];
    try {
      const [first, second] = await Promise.all(
        replicas.map((db) =>
          expireReservations(db, silentLogger, {
            outbox: ORDERS_OUTBOX,
            ttlMinutes: TTL_MINUTES,
            batchSize: 2,
          }),
        ),
      );

      const mine = (ids: number[]) => ids.filter((id) => orderIds.includes(id));
      expect([...mine(first!), ...mine(second!)].sort((a, b) => a - b)).toEqual(orderIds);
      expect(await system.stockOf(product.id)).toBe(40);
    } finally {
      await Promise.all(replicas.map((db) => db.dispose()));
    }
  });

  it('when an order expired, then confirming it is 409 INVALID_ORDER_STATUS and canceling it returns it unchanged', async () => {
    const { product, orderIds } = await agedOrders(1, { qty: 2, stock: 10 });
    const [orderId] = orderIds as [number];
    await expireReservations(system.database.db, silentLogger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
    });

    const confirm = await system.api.post(`/orders/${orderId}/confirm`, {
      token: system.token,
      headers: { 'X-Idempotency-Key': randomUUID() },
    });
    const cancel = await system.api.post(`/orders/${orderId}/cancel`, {
      token: system.token,
      body: { reason: 'Too late' },
    });

    expect(confirm.status).toBe(409);
    expect(confirm.body.code).toBe('INVALID_ORDER_STATUS');
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({
      cancel_source: 'RESERVATION_EXPIRY',
      cancel_reason: reservationExpiredReason(TTL_MINUTES),
    });
    expect(await system.stockOf(product.id)).toBe(10);
  });
});

describe('reservation expiry when an order cannot simply be canceled', () => {
  /** One statement sent as it is: @databases would split a trigger's body at its semicolons. */
  const runAsWritten = (text: string) =>
    system.database.db.task(async (connection) => {
      await driverOf(connection)!.client!.query(text, []);
    });
  const counted = async (metrics: OrdersMetrics) => parsePrometheusText(await metrics.registry.metrics());
  const SWEEP_METRICS = [
    'reservation_sweeps_total',
    'reservation_sweep_released_orders_total',
    'reservation_sweep_failed_orders_total',
    'orders_stock_clamped_units_total',
  ];

  it('when giving an expired order back would pass the maximum stock on hand, then the stock stops at 2,147,483,647, the lost units are logged and counted, and the other expired orders expire too', async () => {
    const metrics = createOrdersMetrics();
    const { lines, logger } = capturingLogger();
    const full = await agedOrders(1, { qty: 5, stock: 10 });
    const other = await agedOrders(2, { qty: 1, stock: 10 });
    await system.database.db.query(
      sql`UPDATE products SET stock = ${2_147_483_647 - 2} WHERE id = ${full.product.id}`,
    );
    const before = await counted(metrics);

    const canceled = await expireReservations(system.database.db, logger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
      metrics,
    });

    expect(canceled).toEqual(expect.arrayContaining([...full.orderIds, ...other.orderIds]));
    expect(await system.stockOf(full.product.id)).toBe(2_147_483_647);
    expect(await system.stockOf(other.product.id)).toBe(10);
    expect(metricChanges(before, await counted(metrics), ['orders_stock_clamped_units_total'])).toEqual({
      [seriesKey('orders_stock_clamped_units_total', { cancel_source: 'RESERVATION_EXPIRY' })]: 3,
    });
    expect(lines.filter((line) => line.productId === full.product.id)).toEqual([
      expect.objectContaining({ level: 'warn', orderId: full.orderIds[0], lostUnits: 3 }),
    ]);
  });

  it('when one expired order fails to cancel, then the sweep skips and reports it, the other expired orders expire, and a later sweep cancels it once it can be', async () => {
    const metrics = createOrdersMetrics();
    const { lines, logger } = capturingLogger();
    const { product, orderIds } = await agedOrders(5, { qty: 1, stock: 10 });
    // The oldest: in the first batch of the sweep, and first again in every batch after it
    // unless the sweep leaves it out.
    const [failing, ...others] = orderIds as [number, ...number[]];
    const trigger = `refuse_update_of_order_${failing}`;
    await runAsWritten(`
      CREATE TRIGGER ${trigger} BEFORE UPDATE ON orders FOR EACH ROW
      IF OLD.id = ${failing} THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'this order row refuses every change';
      END IF
    `);
    const before = await counted(metrics);
    let canceled: number[];
    try {
      canceled = await expireReservations(system.database.db, logger, {
        outbox: ORDERS_OUTBOX,
        ttlMinutes: TTL_MINUTES,
        batchSize: 2,
        metrics,
      });
    } finally {
      await runAsWritten(`DROP TRIGGER IF EXISTS ${trigger}`);
    }
    const afterFirstSweep = await counted(metrics);

    expect(canceled).toEqual(expect.arrayContaining(others));
    expect(canceled).not.toContain(failing);
    expect((await getOrder(failing)).status).toBe('CREATED');
    for (const id of others) expect((await getOrder(id)).status).toBe('CANCELED');
    expect(await system.stockOf(product.id)).toBe(9);
    const changes = metricChanges(before, afterFirstSweep, SWEEP_METRICS);
    expect(changes).toMatchObject({
      [seriesKey('reservation_sweeps_total', { outcome: 'completed' })]: 1,
      [seriesKey('reservation_sweep_failed_orders_total')]: 1,
    });
    expect(changes[seriesKey('reservation_sweeps_total', { outcome: 'failed' })]).toBeUndefined();
    expect(lines.filter((line) => line.orderId === failing)).toEqual([
      expect.objectContaining({
        level: 'error',
        err: expect.objectContaining({ message: expect.stringContaining('refuses every change') }),
      }),
    ]);

    const later = await expireReservations(system.database.db, silentLogger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
      metrics,
    });

    expect(later).toContain(failing);
    expect((await getOrder(failing)).status).toBe('CANCELED');
    expect(await system.stockOf(product.id)).toBe(10);
    expect(
      metricChanges(afterFirstSweep, await counted(metrics), ['reservation_sweep_failed_orders_total']),
    ).toEqual({});
  });
});

describe('scheduleReservationExpiry', () => {
  it('when scheduled, then an expired order is released by a later sweep, and stop() ends the schedule', async () => {
    const { product, orderIds } = await agedOrders(1, { qty: 2, stock: 10 });
    const schedule = scheduleReservationExpiry(system.database.db, silentLogger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
      intervalSeconds: 1,
    });
    try {
      await vi.waitFor(async () => expect((await getOrder(orderIds[0]!)).status).toBe('CANCELED'), {
        timeout: 10_000,
        interval: 100,
      });
    } finally {
      await schedule.stop();
    }
    expect(await system.stockOf(product.id)).toBe(10);
  });

  it('when the TTL is 0, then reservations never expire and nothing is scheduled', async () => {
    const { lines, logger } = capturingLogger();

    const schedule = scheduleReservationExpiry(system.database.db, logger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: 0,
      intervalSeconds: 1,
    });
    await schedule.stop();

    expect(lines.map((line) => line.message)).toEqual([
      'order reservation expiry is off (ORDER_RESERVATION_TTL_MINUTES=0)',
    ]);
  });
});
