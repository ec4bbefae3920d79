import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { expect } from 'vitest';
import { Client, type Dispatcher } from 'undici';
import { sql, type Database } from '@b2b/service-kit';
import {
  TEST_AUTH,
  TEST_CURSOR_SECRET,
  freePort,
  httpClient,
  startChildService,
  type ChildService,
  type HttpClient,
} from '@b2b/service-kit/testing';

/**
 * Support for the fault suite (issue 13): the two APIs as real processes, started from
 * source as `npm run dev` does (no shared dist/ to race on with other suites), and
 * keep-alive clients whose every reset is counted.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface ApiProcess {
  service: ChildService;
  url: string;
  api: HttpClient;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Starts customers-api or orders-api with the test secrets and `env` on top; ready once it answers. */
export async function startApiProcess(
  workspace: 'customers-api' | 'orders-api',
  env: Record<string, string>,
): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = await startChildService(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: path.join(ROOT, workspace),
    // Ready when it serves; /health may rightly say 503 when a test starts it on a stopped database.
    readyUrl: `${url}/openapi.yaml`,
    env: {
      NODE_ENV: 'test',
      PORT: String(port),
      JWT_SECRET: TEST_AUTH.jwtSecret,
      SERVICE_TOKEN: TEST_AUTH.serviceToken,
      CURSOR_SECRET: TEST_CURSOR_SECRET,
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  const { process: child } = service;
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return { service, url, api: httpClient(url), exited };
}

/** A customer (Customers API) and a product of `stock` units (Orders API), created through the APIs. */
export async function createCustomerAndProduct(
  customersApi: HttpClient,
  ordersApi: HttpClient,
  token: string,
  stock: number,
): Promise<{ customerId: number; productId: number }> {
  const suffix = randomUUID().slice(0, 8);
  const customer = await customersApi.post('/customers', {
    token,
    body: { name: `Fault customer ${suffix}`, email: `fault-${suffix}@example.com` },
  });
  const product = await ordersApi.post('/products', {
    token,
    body: { sku: `FAULT-${suffix}`, name: 'Euro pallet', price_cents: 1250, stock },
  });
  if (customer.status !== 201 || product.status !== 201) {
    throw new Error(
      `fixtures not created: ${customer.status} ${customer.text} / ${product.status} ${product.text}`,
    );
  }
  return { customerId: customer.body.id, productId: product.body.id };
}

/** What one request of a load client ended with. */
export interface Outcome {
  idempotencyKey: string;
  startedAt: number;
  /** ms from sending the request to its answer (or its error). */
  durationMs: number;
  status?: number;
  contentType?: string;
  /** The `connection` response header. */
  connection?: string;
  retryAfterSeconds?: number;
  /** Idempotent-Replayed: true — the order was created by an earlier attempt whose answer was lost. */
  isReplay?: boolean;
  body?: { id?: number; code?: string };
  /** The socket error instead of an answer: ECONNRESET, UND_ERR_SOCKET (other side closed), ECONNREFUSED, … */
  errorCode?: string;
}

/** Errors that mean a request was cut on a connection the server had accepted. */
export const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

export interface OrderClientOptions {
  onOutcome: (outcome: Outcome) => void;
  /**
   * Retry a failed order with the same key and body, after the answer's Retry-After (1 s by
   * default), until it is created, as a careful client does; without it, each request has a
   * new key. A retrying client gives an order up after `giveUpAfterMs` (default 60 s).
   */
  retryUntilCreated?: boolean;
  giveUpAfterMs?: number;
}

/**
 * One keep-alive client (one connection, undici) that posts orders in a loop until `stop()`
 * (a retrying client first sees its current order through), or until the server refuses its
 * connection (ECONNREFUSED: it stopped accepting; a load balancer would send elsewhere).
 */
export function startOrderClient(
  url: string,
  token: string,
  order: () => { customer_id: number; items: Array<{ product_id: number; qty: number }> },
  options: OrderClientOptions,
): { stop(): void; done: Promise<void> } {
  const client = new Client(url, { pipelining: 1 });
  let isStopped = false;
  const placeOne = async (): Promise<'next' | 'refused'> => {
    const body = order();
    const idempotencyKey = randomUUID();
    const giveUpAt = performance.now() + (options.giveUpAfterMs ?? 60_000);
    for (;;) {
      const outcome = await postOrder(client, token, body, idempotencyKey);
      options.onOutcome(outcome);
      if (!options.retryUntilCreated) return outcome.errorCode === 'ECONNREFUSED' ? 'refused' : 'next';
      if (!isRetryable(outcome) || performance.now() > giveUpAt) return 'next';
      // The client's own backoff, as the answer asks (Retry-After); not a wait for the test.
      await new Promise((resolve) => setTimeout(resolve, 1000 * (outcome.retryAfterSeconds ?? 1)));
    }
  };
  const loop = async () => {
    while (!isStopped) {
      if ((await placeOne()) === 'refused') break;
    }
    await client.close().catch(() => undefined);
  };
  return { stop: () => (isStopped = true), done: loop() };
}

/** A failure worth the same request again: no answer, a 5xx, or a key still in progress. */
function isRetryable(outcome: Outcome): boolean {
  if (outcome.status === undefined) return true;
  return outcome.status >= 500 || outcome.body?.code === 'IDEMPOTENCY_KEY_IN_PROGRESS';
}

/** The last outcome of each idempotency key: what the client finally got for that order. */
export function finalOutcomes(outcomes: Outcome[]): Map<string, Outcome> {
  return new Map(outcomes.map((outcome) => [outcome.idempotencyKey, outcome]));
}

/** POST /orders with `idempotencyKey` over `client` (a Client or a Pool); a socket error is an outcome too. */
export async function postOrder(
  client: Dispatcher,
  token: string,
  order: unknown,
  idempotencyKey: string = randomUUID(),
): Promise<Outcome> {
  const startedAt = performance.now();
  try {
    const response = await client.request({
      method: 'POST',
      path: '/orders',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(order),
    });
    const text = await response.body.text();
    const contentType = String(response.headers['content-type'] ?? '');
    return {
      idempotencyKey,
      startedAt,
      durationMs: performance.now() - startedAt,
      status: response.statusCode,
      contentType,
      connection: response.headers.connection as string | undefined,
      retryAfterSeconds: response.headers['retry-after']
        ? Number(response.headers['retry-after'])
        : undefined,
      isReplay: response.headers['idempotent-replayed'] === 'true',
      body: /json/.test(contentType) && text ? JSON.parse(text) : undefined,
    };
  } catch (error) {
    const { code, cause } = error as { code?: string; cause?: { code?: string } };
    return {
      idempotencyKey,
      startedAt,
      durationMs: performance.now() - startedAt,
      errorCode: cause?.code ?? code ?? String(error),
    };
  }
}

/** Counts of each value, for messages and the report: { '201': 120, '503': 4 }. */
export function countBy<T>(
  items: T[],
  keyOf: (item: T) => string | number | undefined,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const key = String(keyOf(item));
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * What the database holds after a fault, checked against what the clients were told: every
 * order a client was finally given (201, first answer or replay) exists exactly once and no
 * other order does; no order lacks its items; the product's stock plus what non-canceled
 * orders hold equals its initial stock; no key is left IN_PROGRESS.
 */
export async function expectDatabaseMatchesClients(
  db: Database,
  fixture: { productId: number; initialStock: number },
  outcomes: Outcome[],
): Promise<{ orders: number; keys: number }> {
  const finals = [...finalOutcomes(outcomes).values()];
  const unresolved = finals.filter((outcome) => outcome.status !== 201);
  expect(unresolved, 'orders the clients never got created').toEqual([]);
  const createdIds = finals.map((outcome) => outcome.body?.id).sort((a, b) => Number(a) - Number(b));
  const rows = await db.query(sql`
    SELECT DISTINCT o.id FROM orders AS o JOIN order_items AS i ON i.order_id = o.id
    WHERE i.product_id = ${fixture.productId} ORDER BY o.id`);
  expect(rows.map((row: { id: string | number }) => Number(row.id))).toEqual(createdIds);
  const [{ count: withoutItems }] = await db.query(sql`
    SELECT COUNT(*) AS count FROM orders AS o
    WHERE NOT EXISTS (SELECT 1 FROM order_items AS i WHERE i.order_id = o.id)`);
  expect(Number(withoutItems)).toBe(0);
  const [{ stock }] = await db.query(sql`SELECT stock FROM products WHERE id = ${fixture.productId}`);
  const [{ reserved }] = await db.query(sql`
    SELECT COALESCE(SUM(i.qty), 0) AS reserved FROM order_items AS i JOIN orders AS o ON o.id = i.order_id
    WHERE i.product_id = ${fixture.productId} AND o.status <> 'CANCELED'`);
  expect(Number(stock) + Number(reserved)).toBe(fixture.initialStock);
  const [{ count: inProgress }] = await db.query(
    sql`SELECT COUNT(*) AS count FROM idempotency_keys WHERE status = 'IN_PROGRESS'`,
  );
  expect(Number(inProgress)).toBe(0);
  return { orders: rows.length, keys: finals.length };
}
