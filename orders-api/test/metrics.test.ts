import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, sql, type Database } from '@b2b/service-kit';
import {
  createGate,
  metricChanges,
  scrapeMetrics,
  seriesKey,
  TEST_AUTH,
  type HttpClient,
} from '@b2b/service-kit/testing';
import { createOrdersMetrics, type OrdersMetrics } from '../src/metrics';
import { expireReservations } from '../src/orders/reservation-expiry';
import { silentLogger, startSystem, unique, type System } from './helpers';
import { ORDERS_OUTBOX } from '../src/events';

/**
 * GET /metrics of the Orders API: scraped before and after a known sequence of requests,
 * the counters must have moved by exactly what that sequence does, and nothing else.
 */

const TTL_MINUTES = 30;

let system: System;
let metrics: OrdersMetrics;
/** An Orders API of its own (its own counters), over a pool with usage gauges. */
let api: HttpClient;
let pool: Database;

beforeAll(async () => {
  system = await startSystem();
  metrics = createOrdersMetrics();
  // Statement timeouts, as every server has: such a pool counts its usage. One connection,
  // so a test can fill it.
  pool = connectDatabase(system.database.url, {
    poolSize: 1,
    acquireTimeoutMs: 10_000,
    statementTimeoutMs: 10_000,
  });
  api = await system.startOrdersApi({ db: pool, metrics });
});

afterAll(async () => {
  await system?.stop();
  await pool?.dispose();
});

const HTTP = ['http_requests_total', 'http_request_duration_seconds_count'];
const DOMAIN = [
  'order_transitions_total',
  'idempotency_replays_total',
  'idempotency_conflicts_total',
  'orders_insufficient_stock_refusals_total',
  'reservation_sweeps_total',
  'reservation_sweep_released_orders_total',
  'reservation_sweep_failed_orders_total',
  'orders_stock_clamped_units_total',
];

/** Both series of one request label set: its count and its histogram's count. */
const requests = (operation: string, method: string, status: number, count: number) => ({
  [seriesKey('http_requests_total', { operation, method, status })]: count,
  [seriesKey('http_request_duration_seconds_count', { operation, method, status })]: count,
});

describe('GET /metrics', () => {
  it('when a known sequence of requests is made, then the request and order counters move by exactly that much', async () => {
    const { token } = system;
    const customer = await system.createCustomer();
    const product = await api.post('/products', {
      token,
      body: { sku: unique('SKU'), name: 'Metrics pallet', price_cents: 1000, stock: 10 },
    });
    const line = (qty: number) => ({
      customer_id: customer.id,
      items: [{ product_id: product.body.id, qty }],
    });
    const before = await scrapeMetrics(api);

    const first = await api.post('/orders', { token, body: line(1) });
    const second = await api.post('/orders', {
      token,
      body: line(2),
      headers: { 'X-Idempotency-Key': 'k-create' },
    });
    const replayedCreation = await api.post('/orders', {
      token,
      body: line(2),
      headers: { 'X-Idempotency-Key': 'k-create' },
    });
    const reusedKey = await api.post('/orders', {
      token,
      body: line(3),
      headers: { 'X-Idempotency-Key': 'k-create' },
    });
    const tooMany = await api.post('/orders', { token, body: line(100) });
    const confirm = () =>
      api.post(`/orders/${first.body.id}/confirm`, { token, headers: { 'X-Idempotency-Key': 'k-confirm' } });
    const confirmed = await confirm();
    const replayedConfirmation = await confirm();
    const canceled = await api.post(`/orders/${second.body.id}/cancel`, { token });
    const canceledAgain = await api.post(`/orders/${second.body.id}/cancel`, { token });
    const compensation = await api.post(`/orders/${first.body.id}/cancel`, {
      token,
      body: { source: 'ORCHESTRATOR_COMPENSATION' },
    });
    const unknownPath = await api.get('/no-such-path', { token });
    const head = await api.request('HEAD', `/orders/${first.body.id}`, { token });
    const after = await scrapeMetrics(api);

    expect([first, second, replayedCreation, reusedKey, tooMany].map((response) => response.status)).toEqual([
      201, 201, 201, 409, 409,
    ]);
    expect(replayedCreation.headers.get('Idempotent-Replayed')).toBe('true');
    expect([reusedKey.body.code, tooMany.body.code]).toEqual([
      'IDEMPOTENCY_KEY_REUSED',
      'INSUFFICIENT_STOCK',
    ]);
    expect(
      [confirmed, replayedConfirmation, canceled, canceledAgain].map((response) => response.status),
    ).toEqual([200, 200, 200, 200]);
    expect(replayedConfirmation.headers.get('Idempotent-Replayed')).toBe('true');
    expect([compensation.status, unknownPath.status, head.status]).toEqual([409, 404, 200]);

    expect(metricChanges(before, after, HTTP)).toEqual({
      ...requests('getMetrics', 'GET', 200, 1), // the first scrape
      ...requests('createOrder', 'POST', 201, 3),
      ...requests('createOrder', 'POST', 409, 2),
      ...requests('confirmOrder', 'POST', 200, 2),
      ...requests('cancelOrder', 'POST', 200, 2),
      ...requests('cancelOrder', 'POST', 409, 1),
      ...requests('unmatched', 'GET', 404, 1),
      ...requests('getOrder', 'HEAD', 200, 1),
    });
    expect(metricChanges(before, after, DOMAIN)).toEqual({
      [seriesKey('order_transitions_total', { to: 'CREATED' })]: 2,
      [seriesKey('order_transitions_total', { from: 'CREATED', to: 'CONFIRMED' })]: 1,
      [seriesKey('order_transitions_total', { from: 'CREATED', to: 'CANCELED', cancel_source: 'CLIENT' })]: 1,
      [seriesKey('idempotency_replays_total', { scope: 'create_order' })]: 1,
      [seriesKey('idempotency_replays_total', { scope: 'confirm_order' })]: 1,
      [seriesKey('idempotency_conflicts_total', { scope: 'create_order', code: 'IDEMPOTENCY_KEY_REUSED' })]:
        1,
      [seriesKey('orders_insufficient_stock_refusals_total')]: 1,
    });
  });

  it('when the reservation sweep cancels expired orders, then the sweep, the released orders and their transitions are counted', async () => {
    const customer = await system.createCustomer();
    const product = await system.createProduct({ stock: 10 });
    const orderIds: number[] = [];
    for (let index = 0; index < 2; index += 1) {
      const response = await api.post('/orders', {
        token: system.token,
        body: { customer_id: customer.id, items: [{ product_id: product.id, qty: 1 }] },
      });
      orderIds.push(response.body.id);
    }
    await pool.query(
      sql`UPDATE orders SET created_at = NOW(3) - INTERVAL ${TTL_MINUTES + 1} MINUTE WHERE id IN (${sql.join(
        orderIds.map((id) => sql`${id}`),
        ', ',
      )})`,
    );
    const before = await scrapeMetrics(api);

    const released = await expireReservations(pool, silentLogger, {
      outbox: ORDERS_OUTBOX,
      ttlMinutes: TTL_MINUTES,
      metrics,
    });
    const after = await scrapeMetrics(api);

    expect(released.toSorted()).toEqual(orderIds.toSorted());
    expect(metricChanges(before, after, DOMAIN)).toEqual({
      [seriesKey('reservation_sweeps_total', { outcome: 'completed' })]: 1,
      [seriesKey('reservation_sweep_released_orders_total')]: 2,
      [seriesKey('order_transitions_total', {
        from: 'CREATED',
        to: 'CANCELED',
        cancel_source: 'RESERVATION_EXPIRY',
      })]: 2,
    });
  });

  it('when every connection of the pool is taken and another operation waits, then the pool gauges say so', async () => {
    const gate = createGate();
    const holding = pool.task(() => gate.pass());
    await gate.arrived;
    const waiting = pool.query(sql`SELECT 1`);

    const busy = await scrapeMetrics(api);
    gate.release();
    await Promise.all([holding, waiting]);
    const idle = await scrapeMetrics(api);

    const gauges = (samples: Map<string, number>) => ({
      inUse: samples.get('db_pool_connections_in_use'),
      waiting: samples.get('db_pool_requests_waiting'),
      max: samples.get('db_pool_connections_max'),
    });
    expect(gauges(busy)).toEqual({ inUse: 1, waiting: 1, max: 1 });
    expect(gauges(idle)).toEqual({ inUse: 0, waiting: 0, max: 1 });
  });

  it('when called without the service token, then 401; with an operator JWT, 403; never the metrics', async () => {
    const anonymous = await api.get('/metrics');
    const operator = await api.get('/metrics', { token: system.token });
    const service = await api.get('/metrics', { token: TEST_AUTH.serviceToken });

    expect([anonymous.status, operator.status, service.status]).toEqual([401, 403, 200]);
    expect([anonymous.body.code, operator.body.code]).toEqual(['UNAUTHORIZED', 'FORBIDDEN']);
    expect(anonymous.text + operator.text).not.toContain('http_requests_total');
    expect(service.headers.get('Content-Type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
