import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client } from 'undici';
import { createLogger, listen, sql } from '@b2b/service-kit';
import { TEST_AUTH, createTestDatabase, operatorToken, type TestDatabase } from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';
import {
  RESET_CODES,
  countBy,
  createCustomerAndProduct,
  postOrder,
  startApiProcess,
  startOrderClient,
  type ApiProcess,
  type Outcome,
} from './support/api-processes';

/**
 * Issue 13 §1: SIGTERM drains. Before the fix, 16 keep-alive clients were served on their
 * open connections until a forced exit 1 at ~13 s reset all 16 in-flight requests and left
 * their idempotency keys IN_PROGRESS.
 */
const CLIENTS = 16;
const WARM_UP_REQUESTS = 150;

let database: TestDatabase;
let token: string;
const started: ApiProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  token = await operatorToken();
});

afterAll(async () => {
  for (const part of started.reverse()) await part.service.stop();
  await database?.drop();
});

async function startApis(ordersEnv: Record<string, string> = {}) {
  const customers = await startApiProcess('customers-api', { DATABASE_URL: database.url });
  started.push(customers);
  const orders = await startApiProcess('orders-api', {
    DATABASE_URL: database.url,
    CUSTOMERS_API_BASE: customers.url,
    ...ordersEnv,
  });
  started.push(orders);
  return { customers, orders };
}

const countRows = async (query: ReturnType<typeof sql>) => Number((await database.db.query(query))[0].count);

describe('draining, in process', () => {
  it('when the drain begins, then /health on an open keep-alive connection answers 503 with Connection: close, and new connections are refused', async () => {
    const logger = createLogger({ service: 'shutdown-test', level: 'silent' });
    const running = await listen(createCustomersApp({ db: database.db, auth: TEST_AUTH, logger }));
    const client = new Client(running.url);
    try {
      const before = await client.request({ method: 'GET', path: '/health' });
      await before.body.text();

      const drained = running.drain({ graceMs: 5000, logger });
      const during = await client.request({ method: 'GET', path: '/health' });
      const health = await during.body.json();

      expect(before.statusCode).toBe(200);
      expect(during.statusCode).toBe(503);
      expect(during.headers.connection).toBe('close');
      expect(health).toEqual({
        status: 'unavailable',
        checks: { database: 'up', events: 'off' },
        events: { broker: 'off', oldest_unpublished_seconds: null },
      });
      expect(await drained).toEqual({ cutOff: 0 });
      await expect(fetch(`${running.url}/health`)).rejects.toThrow();
    } finally {
      await client.close().catch(() => undefined);
    }
  });
});

describe('an Orders API process receiving SIGTERM', () => {
  it(`when ${CLIENTS} keep-alive clients are posting orders, then no request is reset, no key stays IN_PROGRESS, and it exits 0`, async () => {
    const { customers, orders } = await startApis();
    const { customerId, productId } = await createCustomerAndProduct(
      customers.api,
      orders.api,
      token,
      1_000_000,
    );
    const outcomes: Outcome[] = [];
    let onWarmedUp!: () => void;
    const warmedUp = new Promise<void>((resolve) => (onWarmedUp = resolve));
    const clients = Array.from({ length: CLIENTS }, () =>
      startOrderClient(
        orders.url,
        token,
        () => ({ customer_id: customerId, items: [{ product_id: productId, qty: 1 }] }),
        {
          onOutcome: (outcome) => {
            outcomes.push(outcome);
            if (outcomes.length === WARM_UP_REQUESTS) onWarmedUp();
          },
        },
      ),
    );

    await warmedUp;
    const signalledAt = performance.now();
    orders.service.process.kill('SIGTERM');
    const exitCode = await orders.exited;
    const exitSeconds = (performance.now() - signalledAt) / 1000;
    // Each client stops at its first refused connection; none may be left sending.
    await Promise.all(clients.map((client) => client.done));

    const answeredAfterSignal = outcomes.filter(
      (outcome) => outcome.status !== undefined && outcome.startedAt + outcome.durationMs > signalledAt,
    );
    const resets = outcomes.filter((outcome) => RESET_CODES.has(outcome.errorCode ?? ''));
    const created = outcomes.filter((outcome) => outcome.status === 201);
    const figures = {
      requests: outcomes.length,
      statuses: countBy(outcomes, (outcome) => outcome.status ?? outcome.errorCode),
      answeredAfterSignal: answeredAfterSignal.length,
      answeredAfterSignalWithConnectionClose: answeredAfterSignal.filter(
        (outcome) => outcome.connection === 'close',
      ).length,
      resets: resets.length,
      exitCode,
      exitSeconds: Number(exitSeconds.toFixed(2)),
    };
    console.info('SIGTERM under keep-alive load:', JSON.stringify(figures));

    expect(exitCode, orders.service.output()).toBe(0);
    expect(resets, JSON.stringify(figures)).toEqual([]);
    // Every client was answered until it found the door closed (as behind a load balancer).
    expect(figures.statuses).toEqual({ 201: created.length, ECONNREFUSED: CLIENTS });
    // The clients busy at the signal were told to close; those between requests had their idle connection closed.
    expect(figures.answeredAfterSignalWithConnectionClose).toBeGreaterThan(0);
    expect(
      await countRows(sql`SELECT COUNT(*) AS count FROM idempotency_keys WHERE status = 'IN_PROGRESS'`),
    ).toBe(0);
    expect(await countRows(sql`SELECT COUNT(*) AS count FROM orders`)).toBe(created.length);
    for (const step of [
      'shutting down',
      'draining: refusing new connections',
      'drained: every connection closed',
      '"message":"stopped"',
    ]) {
      expect(orders.service.output()).toContain(step);
    }
  }, 60_000);

  it('when a request is still running at the grace deadline, then it is answered 503, its key is released, nothing it did is kept, and it exits 0', async () => {
    const { customers, orders } = await startApis({
      SHUTDOWN_GRACE_MS: '1000',
      // Longer than the grace period, so the deadline is what ends the request.
      DATABASE_STATEMENT_TIMEOUT_MS: '20000',
      IDEMPOTENCY_ABANDONED_CLAIM_SECONDS: '300',
    });
    const { customerId, productId } = await createCustomerAndProduct(customers.api, orders.api, token, 10);
    const ordersBefore = await countRows(sql`SELECT COUNT(*) AS count FROM orders`);
    const idempotencyKey = randomUUID();
    let releaseLock!: () => void;
    const lockReleased = new Promise<void>((resolve) => (releaseLock = resolve));
    let onLocked!: () => void;
    const locked = new Promise<void>((resolve) => (onLocked = resolve));
    // The test holds the product's row lock: the order's transaction waits on it.
    const holder = database.db.tx(async (tx) => {
      await tx.query(sql`SELECT id FROM products WHERE id = ${productId} FOR UPDATE`);
      onLocked();
      await lockReleased;
    });
    await locked;
    const client = new Client(orders.url);
    try {
      const pending = postOrder(
        client,
        token,
        { customer_id: customerId, items: [{ product_id: productId, qty: 1 }] },
        idempotencyKey,
      );
      // In flight for sure: its transaction waits for the lock (the server is shared: this database only).
      await vi.waitFor(
        async () =>
          expect(
            await countRows(sql`
              SELECT COUNT(*) AS count FROM information_schema.PROCESSLIST
              WHERE DB = ${database.name} AND COMMAND = 'Query' AND INFO LIKE '%FROM products%FOR UPDATE%'`),
          ).toBe(1),
        { timeout: 10_000, interval: 50 },
      );

      orders.service.process.kill('SIGTERM');
      const outcome = await pending;
      // The request's transaction may go on now: it finds its claim released and rolls back.
      releaseLock();
      await holder;
      const exitCode = await orders.exited;

      expect(outcome).toMatchObject({
        status: 503,
        connection: 'close',
        body: { code: 'SERVICE_SHUTTING_DOWN' },
      });
      expect(outcome.contentType).toMatch(/^application\/problem\+json/);
      expect(exitCode, orders.service.output()).toBe(0);
      expect(orders.service.output()).toContain('"released":1');
      expect(
        await countRows(
          sql`SELECT COUNT(*) AS count FROM idempotency_keys WHERE idempotency_key = ${idempotencyKey}`,
        ),
      ).toBe(0);
      expect(await countRows(sql`SELECT COUNT(*) AS count FROM orders`)).toBe(ordersBefore);
      const [{ stock }] = await database.db.query(sql`SELECT stock FROM products WHERE id = ${productId}`);
      expect(Number(stock)).toBe(10);
    } finally {
      releaseLock();
      await holder.catch(() => undefined);
      await client.close().catch(() => undefined);
    }
  }, 60_000);
});
