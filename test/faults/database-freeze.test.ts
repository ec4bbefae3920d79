import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'undici';
import type { Database } from '@b2b/service-kit';
import {
  mariadbBinaries,
  NO_MARIADB_BINARIES,
  operatorToken,
  startPrivateDatabaseServer,
  type PrivateDatabaseServer,
} from '@b2b/service-kit/testing';
import {
  countBy,
  createCustomerAndProduct,
  expectDatabaseMatchesClients,
  startApiProcess,
  startOrderClient,
  type ApiProcess,
  type Outcome,
} from './support/api-processes';

/**
 * Issue 13 §2: with the database frozen (SIGSTOP) for 15 s, requests used to hang 15.2 s and
 * /health took 10 s to say 503. Now every wait is bounded, so every request is answered
 * within max(DATABASE_ACQUIRE_TIMEOUT_MS + DATABASE_STATEMENT_TIMEOUT_MS,
 * CUSTOMERS_API_TIMEOUT_MS) and /health within ~1 s, whatever the database does.
 */
const hasBinaries = mariadbBinaries() !== undefined;
if (!hasBinaries) console.warn(`database-freeze.test.ts skipped: ${NO_MARIADB_BINARIES}`);

const CLIENTS = 16;
const FREEZE_MS = 15_000; // the fault itself, as in the issue: not a wait for something to happen
const ACQUIRE_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1000;
const CUSTOMERS_API_TIMEOUT_MS = 2000;
const ANSWER_BOUND_MS = Math.max(ACQUIRE_TIMEOUT_MS + STATEMENT_TIMEOUT_MS, CUSTOMERS_API_TIMEOUT_MS);
const HEALTH_BOUND_MS = 1000;
// The bound is what is asserted; this is room for a busy shared machine, not a tolerance on the design.
const SLACK_MS = 1500;
const STOCK = 1_000_000;

const DATABASE_BOUNDS = {
  DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
  DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
};

describe.skipIf(!hasBinaries)('the APIs while their database is frozen', () => {
  let server: PrivateDatabaseServer;
  let db: Database;
  const started: ApiProcess[] = [];

  beforeAll(async () => {
    server = await startPrivateDatabaseServer();
    const database = await server.createDatabase('freeze');
    db = database.db;
    const customers = await startApiProcess('customers-api', {
      DATABASE_URL: database.url,
      ...DATABASE_BOUNDS,
    });
    started.push(customers);
    const orders = await startApiProcess('orders-api', {
      DATABASE_URL: database.url,
      ...DATABASE_BOUNDS,
      CUSTOMERS_API_BASE: customers.url,
      CUSTOMERS_API_TIMEOUT_MS: String(CUSTOMERS_API_TIMEOUT_MS),
      // The shortest the configuration allows: 2 × 2 s + 6 × (1 + 1) s + 0.31 s of retry pauses < 17 s.
      IDEMPOTENCY_ABANDONED_CLAIM_SECONDS: '17',
    });
    started.push(orders);
  }, 60_000);

  afterAll(async () => {
    server?.thaw();
    for (const part of started.reverse()) await part.service.stop();
    await db?.dispose().catch(() => undefined);
    await server?.destroy();
  });

  it(`when it is frozen for ${FREEZE_MS / 1000} s under order load, then every request is answered within ${ANSWER_BOUND_MS} ms, /health within ${HEALTH_BOUND_MS} ms, and everything recovers`, async () => {
    const [customers, orders] = started as [ApiProcess, ApiProcess];
    const token = await operatorToken();
    const { customerId, productId } = await createCustomerAndProduct(customers.api, orders.api, token, STOCK);
    const outcomes: Outcome[] = [];
    const healthChecks: Array<{ startedAt: number; durationMs: number; status?: number }> = [];
    const waiters: Array<() => boolean> = [];
    const notify = () => waiters.splice(0, waiters.length, ...waiters.filter((isDone) => !isDone()));
    const until = (condition: () => boolean) =>
      new Promise<void>((resolve) => {
        if (condition()) resolve();
        else waiters.push(() => (condition() ? (resolve(), true) : false));
      });
    const createdSince = (at: number) =>
      new Set(outcomes.filter((o) => o.status === 201 && o.startedAt > at).map((o) => o.idempotencyKey)).size;

    const clients = Array.from({ length: CLIENTS }, () =>
      startOrderClient(
        orders.url,
        token,
        () => ({ customer_id: customerId, items: [{ product_id: productId, qty: 1 }] }),
        {
          retryUntilCreated: true,
          onOutcome: (outcome) => {
            outcomes.push(outcome);
            notify();
          },
        },
      ),
    );
    // A load balancer's health probe: one keep-alive connection, one probe every 250 ms; a tick
    // while the last probe is still out is skipped, as a balancer does not pile probes up.
    const prober = new Client(orders.url);
    let probing: Promise<void> | undefined;
    const probe = async () => {
      const startedAt = performance.now();
      const response = await prober.request({ method: 'GET', path: '/health' }).catch(() => undefined);
      await response?.body.text();
      healthChecks.push({
        startedAt,
        durationMs: performance.now() - startedAt,
        status: response?.statusCode,
      });
    };
    const probeTimer = setInterval(() => {
      probing ??= probe().finally(() => (probing = undefined));
    }, 250);

    await until(() => createdSince(0) >= 50);
    await server.freeze();
    const frozenAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, FREEZE_MS));
    server.thaw();
    const thawedAt = performance.now();
    // Recovered: orders are created again, by the same processes.
    await until(() => createdSince(thawedAt) >= CLIENTS);
    const recoverySeconds = (performance.now() - thawedAt) / 1000;
    for (const client of clients) client.stop();
    await Promise.all(clients.map((client) => client.done));
    clearInterval(probeTimer);
    await probing;
    await prober.close();

    const duringFreeze = outcomes.filter(
      (o) => o.startedAt >= frozenAt && o.startedAt + o.durationMs < thawedAt,
    );
    const healthDuringFreeze = healthChecks.filter(
      (check) => check.startedAt >= frozenAt && check.startedAt < thawedAt,
    );
    const slowest = Math.max(...outcomes.map((o) => o.durationMs));
    const figures = {
      freezeSeconds: Number(((thawedAt - frozenAt) / 1000).toFixed(1)),
      requests: outcomes.length,
      duringFreeze: countBy(duringFreeze, (o) =>
        o.status ? `${o.status} ${o.body?.code ?? ''}`.trim() : o.errorCode,
      ),
      slowestAnswerMs: Math.round(slowest),
      slowestAnswerDuringFreezeMs: Math.round(Math.max(...duringFreeze.map((o) => o.durationMs))),
      healthDuringFreeze: countBy(healthDuringFreeze, (check) => check.status),
      slowestHealthDuringFreezeMs: Math.round(
        Math.max(...healthDuringFreeze.map((check) => check.durationMs)),
      ),
      recoverySeconds: Number(recoverySeconds.toFixed(2)),
      replays: outcomes.filter((o) => o.isReplay).length,
    };
    console.info('database frozen:', JSON.stringify(figures));

    // Every request got an answer (no socket error), problem+json when it was not a 201.
    expect(outcomes.filter((o) => o.status === undefined)).toEqual([]);
    for (const outcome of outcomes.filter((o) => o.status !== 201)) {
      expect(outcome.contentType).toMatch(/^application\/problem\+json/);
      expect([
        '503 DATABASE_UNAVAILABLE',
        // The Customers API, frozen too, answered 503 (502) or not in time (504).
        '502 CUSTOMERS_API_UNAVAILABLE',
        '504 CUSTOMERS_API_TIMEOUT',
        // A retry while the failed attempt's key was still being released.
        '409 IDEMPOTENCY_KEY_IN_PROGRESS',
      ]).toContain(`${outcome.status} ${outcome.body?.code}`);
    }
    expect(duringFreeze.length).toBeGreaterThan(0);
    expect(duringFreeze.filter((o) => o.status === 201)).toEqual([]);
    expect(slowest).toBeLessThan(ANSWER_BOUND_MS + SLACK_MS);
    expect(healthDuringFreeze.length).toBeGreaterThan(0);
    expect(
      healthDuringFreeze.every(
        (check) => check.status === 503 || check.startedAt > thawedAt - HEALTH_BOUND_MS,
      ),
    ).toBe(true);
    expect(Math.max(...healthChecks.map((check) => check.durationMs))).toBeLessThan(
      HEALTH_BOUND_MS + SLACK_MS,
    );
    // Recovered without a restart: the same processes are still serving.
    expect(started.every((part) => part.service.process.exitCode === null)).toBe(true);
    const stored = await expectDatabaseMatchesClients(db, { productId, initialStock: STOCK }, outcomes);
    console.info('database frozen, stored:', JSON.stringify(stored));
  }, 90_000);
});
