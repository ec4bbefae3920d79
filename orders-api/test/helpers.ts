import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import {
  connectDatabase,
  createLogger,
  listen,
  sql,
  type Database,
  type RunningServer,
} from '@b2b/service-kit';
import {
  createGate,
  createTestDatabase,
  freePort,
  httpClient,
  operatorToken,
  TEST_AUTH,
  TEST_CURSOR_SECRET,
  type Gate,
  type HttpClient,
  type TestDatabase,
  type TestResponse,
} from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';
import { createOrdersApp, type OrdersAppOptions } from '../src/app';

export const silentLogger = createLogger({ service: 'orders-api-test', level: 'silent' });

/** A logger keeping every JSON line it writes in memory (`lines`), for tests that read the log. */
export function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'orders-api', level: 'info', destination }) };
}

export interface OrderLine {
  product_id: number;
  qty: number;
}

let uniqueCounter = 0;
/** Unique per test run, so factories never collide with what other tests created. */
export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${(uniqueCounter++).toString(36)}`;

export type System = Awaited<ReturnType<typeof startSystem>>;

/**
 * Starts what the Orders API talks to for real: a fresh database, the Customers API and
 * the Orders API in-process, both validating their responses against their contracts.
 */
export async function startSystem(options: { orders?: Partial<OrdersAppOptions> } = {}) {
  const database = await createTestDatabase();
  const servers: Array<{ close(): Promise<void> }> = [];
  const pools: Database[] = [];
  const customersServer = await listen(
    createCustomersApp({
      db: database.db,
      auth: TEST_AUTH,
      logger: silentLogger,
      validateResponses: true,
      cursorSecret: TEST_CURSOR_SECRET,
    }),
  );
  servers.push(customersServer);
  const token = await operatorToken();
  const customersApi = httpClient(customersServer.url);

  /** Another Orders API on the same database; `ownPool` gives it a connection pool of its own. */
  async function startOrdersApi(overrides: Partial<OrdersAppOptions> & { ownPool?: boolean } = {}) {
    const { ownPool, ...appOverrides } = overrides;
    let db = database.db;
    if (ownPool) {
      db = connectDatabase(database.url);
      pools.push(db);
    }
    const server = await listen(
      createOrdersApp({
        db,
        auth: TEST_AUTH,
        logger: silentLogger,
        customersApiBase: customersServer.url,
        validateResponses: true,
        cursorSecret: TEST_CURSOR_SECRET,
        ...options.orders,
        ...appOverrides,
      }),
    );
    servers.push(server);
    return httpClient(server.url);
  }

  const api = await startOrdersApi();

  async function createProduct(overrides: Record<string, unknown> = {}) {
    const response = await api.post('/products', {
      token,
      body: { sku: unique('SKU'), name: 'Test product', price_cents: 1000, stock: 100, ...overrides },
    });
    if (response.status !== 201) throw new Error(`createProduct: ${response.status} ${response.text}`);
    return response.body as { id: number; sku: string; name: string; price_cents: number; stock: number };
  }

  async function createCustomer(): Promise<{ id: number }> {
    const response = await customersApi.post('/customers', {
      token,
      body: { name: 'Test customer', email: `${randomUUID()}@example.com` },
    });
    if (response.status !== 201) throw new Error(`createCustomer: ${response.status} ${response.text}`);
    return response.body;
  }

  /** A customer, a product and an order of `qty` units of it. */
  async function createOrder(options: { qty?: number; stock?: number } = {}) {
    const customer = await createCustomer();
    const product = await createProduct({ stock: options.stock ?? 100 });
    const response = await api.post('/orders', {
      token,
      body: { customer_id: customer.id, items: [{ product_id: product.id, qty: options.qty ?? 1 }] },
    });
    if (response.status !== 201) throw new Error(`createOrder: ${response.status} ${response.text}`);
    return { order: response.body as { id: number; status: string }, product, customer };
  }

  async function stockOf(productId: number): Promise<number> {
    const response = await api.get(`/products/${productId}`, { token });
    return response.body.stock;
  }

  async function countRows(table: 'orders' | 'order_items' | 'idempotency_keys'): Promise<number> {
    const [row] = await database.db.query(sql`SELECT COUNT(*) AS count FROM ${sql.ident(table)}`);
    return Number(row.count);
  }

  return {
    database,
    api,
    customersApi,
    customersApiBase: customersServer.url,
    token,
    startOrdersApi,
    createProduct,
    createCustomer,
    createOrder,
    stockOf,
    countRows,
    placeOrder: (body: { customer_id: number; items: OrderLine[] }, headers?: Record<string, string>) =>
      api.post('/orders', { token, body, headers }),
    async stop() {
      await Promise.all(servers.map((server) => server.close()));
      await Promise.all(pools.map((pool) => pool.dispose()));
      await database.drop();
    },
  };
}

/** A port nothing listens on: the Customers API is "down". */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * A stand-in for the Customers API at the network edge, answering each request with `answer`.
 * An answer `heldBy` a gate is sent only once the test releases that gate (never, if it
 * does not): the test awaits `gate.arrived` to know the request is in flight.
 */
export async function startFakeCustomersApi(
  answer: (request: { headers: Record<string, string | string[] | undefined> }) => {
    status: number;
    body?: unknown;
    heldBy?: Gate;
  },
): Promise<RunningServer & { server: Server }> {
  const server = createServer(async (request, response) => {
    const reply = answer({ headers: request.headers });
    await reply.heldBy?.pass();
    // Released at cleanup, after the Orders API gave up on this request: nobody to answer.
    if (response.destroyed) return;
    response.writeHead(reply.status, { 'Content-Type': 'application/json' });
    response.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A fake Customers API that knows customer 1 and holds every answer at `gate` until the
 * test releases it; `close()` releases the gate first.
 */
export async function startHeldCustomersApi(): Promise<{ url: string; gate: Gate; close(): Promise<void> }> {
  const gate = createGate();
  const server = await startFakeCustomersApi(() => ({ status: 200, body: fakeCustomer(1), heldBy: gate }));
  return {
    gate,
    url: server.url,
    close: async () => {
      gate.release();
      await server.close();
    },
  };
}

export const fakeCustomer = (id: number) => ({
  id,
  name: 'Fake customer',
  email: 'fake@example.com',
  phone: null,
  created_at: '2026-11-23T09:30:00.000Z',
  updated_at: '2026-11-23T09:30:00.000Z',
});

export function statusCounts(responses: TestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}

export type { HttpClient, TestDatabase };
