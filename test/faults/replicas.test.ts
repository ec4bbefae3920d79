import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, listen, sql, type RunningServer } from '@b2b/service-kit';
import {
  TEST_AUTH,
  TEST_CURSOR_SECRET,
  createGate,
  createTestDatabase,
  freePort,
  httpClient,
  operatorToken,
  startChildService,
  type ChildService,
  type HttpClient,
  type TestDatabase,
  type TestResponse,
} from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';

/**
 * Issue 13 §3/§5: two Orders API replicas — two real processes, each with its own
 * connection pool and its own reservation sweep — on one database. Whatever the split of
 * requests between them, an order makes one transition, its stock moves once, and an
 * expired reservation is canceled by exactly one replica.
 */
const ORDERS_API = path.resolve(import.meta.dirname, '../../orders-api');
const CALLS = 40;
const TTL_MINUTES = 30;
const SWEEP_BATCH_SIZE = 5;

const countOf = (values: Array<string | number>) =>
  values.reduce<Record<string, number>>((counts, value) => {
    counts[value] = (counts[value] ?? 0) + 1;
    return counts;
  }, {});

describe('two Orders API replicas on one database', () => {
  let database: TestDatabase;
  let customersApi: RunningServer;
  let replicas: Array<{ service: ChildService; api: HttpClient }> = [];
  let token: string;
  let sequence = 0;
  const unique = () => `${Date.now().toString(36)}-${(sequence += 1)}`;

  /** Starts one replica from source, as `npm run dev` does, sweeping every second. */
  async function startReplica() {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const service = await startChildService(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ORDERS_API,
      readyUrl: `${baseUrl}/health`,
      env: {
        NODE_ENV: 'test',
        PORT: String(port),
        DATABASE_URL: database.url,
        DATABASE_POOL_SIZE: '10',
        JWT_SECRET: TEST_AUTH.jwtSecret,
        SERVICE_TOKEN: TEST_AUTH.serviceToken,
        CURSOR_SECRET: TEST_CURSOR_SECRET,
        CUSTOMERS_API_BASE: customersApi.url,
        LOG_LEVEL: 'info',
        ORDER_RESERVATION_TTL_MINUTES: String(TTL_MINUTES),
        ORDER_RESERVATION_SWEEP_INTERVAL_SECONDS: '1',
        ORDER_RESERVATION_SWEEP_BATCH_SIZE: String(SWEEP_BATCH_SIZE),
      },
    });
    return { service, api: httpClient(baseUrl) };
  }

  /** A new product of `stock` units and `count` orders of `qty` each for a new customer, through replica 0. */
  async function placeOrders(count: number, qty: number, stock: number) {
    const { api } = replicas[0]!;
    const customer = await httpClient(customersApi.url).post('/customers', {
      token,
      body: { name: `Replica customer ${unique()}`, email: `replica-${unique()}@example.com` },
    });
    const product = await api.post('/products', {
      token,
      body: { sku: `REPLICA-${unique()}`, name: 'Euro pallet', price_cents: 1450, stock },
    });
    expect([customer.status, product.status], customer.text + product.text).toEqual([201, 201]);
    const orderIds: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const order = await api.post('/orders', {
        token,
        body: { customer_id: customer.body.id, items: [{ product_id: product.body.id, qty }] },
      });
      expect(order.status, order.text).toBe(201);
      orderIds.push(order.body.id);
    }
    return { productId: product.body.id as number, orderIds };
  }

  /** Straight from the database: what the APIs' answers could hide. */
  async function stockOf(productId: number): Promise<number> {
    const [row] = await database.db.query(sql`SELECT stock FROM products WHERE id = ${productId}`);
    return Number(row.stock);
  }

  /** `CALLS` requests at once, alternating between the two replicas. */
  const splitAcrossReplicas = (send: (api: HttpClient, index: number) => Promise<TestResponse>) =>
    Promise.all(Array.from({ length: CALLS }, (_, index) => send(replicas[index % 2]!.api, index)));

  /** The ids of the orders a replica logged as expired and canceled. */
  function expiredOrderIdsLoggedBy(service: ChildService): number[] {
    return service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { message?: string; orderId?: number })
      .filter((line) => line.message?.startsWith('order reservation expired'))
      .map((line) => line.orderId!);
  }

  /** The end of each replica's log, request lines left out, for failure messages. */
  const lastLogLines = () =>
    replicas
      .map(({ service }) =>
        service
          .output()
          .split('\n')
          .filter((line) => !line.includes('"request completed"'))
          .slice(-10)
          .join('\n'),
      )
      .join('\n---\n');

  beforeAll(async () => {
    database = await createTestDatabase();
    customersApi = await listen(
      createCustomersApp({
        db: database.db,
        auth: TEST_AUTH,
        logger: createLogger({ service: 'faults', level: 'silent' }),
      }),
    );
    token = await operatorToken();
    replicas = await Promise.all([startReplica(), startReplica()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map(({ service }) => service.stop()));
    await customersApi?.close();
    await database?.drop();
  });

  it(`when ${CALLS} confirmations with one key are split across the replicas, then the order is confirmed once and every 200 is that one response`, async () => {
    const {
      orderIds: [orderId],
    } = await placeOrders(1, 3, 10);
    const key = randomUUID();

    const answers = await splitAcrossReplicas((api) =>
      api.post(`/orders/${orderId}/confirm`, { token, headers: { 'X-Idempotency-Key': key } }),
    );

    const outcomes = answers.map((answer) =>
      answer.status === 200
        ? answer.headers.get('idempotent-replayed') === 'true'
          ? '200 replayed'
          : '200 first'
        : `${answer.status} ${answer.body?.code}`,
    );
    console.log(`one key, ${CALLS} confirms over two replicas → ${JSON.stringify(countOf(outcomes))}`);
    expect(outcomes.filter((outcome) => outcome === '200 first')).toHaveLength(1);
    expect(
      outcomes.every((outcome) =>
        ['200 first', '200 replayed', '409 IDEMPOTENCY_KEY_IN_PROGRESS'].includes(outcome),
      ),
    ).toBe(true);
    const bodies = new Set(answers.filter((answer) => answer.status === 200).map((answer) => answer.text));
    expect(bodies.size).toBe(1);
    const [row] = await database.db.query(
      sql`SELECT status, confirmed_at, updated_at FROM orders WHERE id = ${orderId}`,
    );
    expect(row.status).toBe('CONFIRMED');
    // One transition: the order was written once, at the instant the first answer reports.
    expect(row.updated_at).toEqual(row.confirmed_at);
    expect(JSON.parse([...bodies][0]!).confirmed_at).toBe(row.confirmed_at.toISOString());
    const [keys] = await database.db.query(
      sql`SELECT COUNT(*) AS count FROM idempotency_keys WHERE idempotency_key = ${key}`,
    );
    expect(Number(keys.count)).toBe(1);
  });

  it(`when ${CALLS} cancels of one order, each with its own reason, are split across the replicas, then its stock is restored once and every answer is the one cancellation`, async () => {
    const {
      productId,
      orderIds: [orderId],
    } = await placeOrders(1, 4, 10);
    expect(await stockOf(productId)).toBe(6);

    const answers = await splitAcrossReplicas((api, index) =>
      api.post(`/orders/${orderId}/cancel`, { token, body: { reason: `Cancel number ${index}` } }),
    );

    console.log(
      `${CALLS} cancels of one order over two replicas → ${JSON.stringify(countOf(answers.map((answer) => answer.status)))}, ` +
        `stock ${await stockOf(productId)} of 10`,
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(CALLS).fill(200));
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(answers[0]!.body).toMatchObject({ status: 'CANCELED', cancel_source: 'CLIENT' });
    expect(await stockOf(productId)).toBe(10);
  });

  it(`when ${CALLS} reservations expire while both replicas sweep, then each is canceled by exactly one replica and the stock comes back once`, async () => {
    const qty = 2;
    const { productId, orderIds } = await placeOrders(CALLS, qty, CALLS * qty);
    expect(await stockOf(productId)).toBe(0);
    const loggedBefore = replicas.map(({ service }) => expiredOrderIdsLoggedBy(service).length);

    // The test holds the product's row lock, so each replica's sweep locks a batch of the
    // expired orders and then waits to give their stock back: both sweeps run at once.
    const release = createGate();
    const locked = createGate();
    const holder = database.db.tx(async (tx) => {
      await tx.query(sql`SELECT id FROM products WHERE id = ${productId} FOR UPDATE`);
      void locked.pass();
      await release.pass();
    });
    await locked.arrived;
    try {
      await database.db.query(
        sql`UPDATE orders SET created_at = NOW(3) - INTERVAL ${TTL_MINUTES + 1} MINUTE
            WHERE id IN (${sql.join(
              orderIds.map((id) => sql`${id}`),
              sql`, `,
            )})`,
      );
      // Both replicas hold a batch of orders and wait in their first statement that locks the
      // product (the check of stock beyond the maximum, FOR UPDATE, or the UPDATE giving the
      // stock back; MariaDB shows it as "Preparing", not always as an InnoDB lock wait).
      await vi.waitFor(
        async () => {
          const [waiting] = await database.db.query(sql`
            SELECT COUNT(*) AS count FROM information_schema.PROCESSLIST
            WHERE DB = ${database.name} AND COMMAND = 'Query' AND ID <> CONNECTION_ID()
              AND INFO LIKE '%products%'`);
          expect(Number(waiting.count), lastLogLines()).toBe(2);
        },
        { timeout: 15_000, interval: 50 },
      );
    } finally {
      release.release();
      await holder;
    }
    await vi.waitFor(
      async () => {
        const [row] = await database.db.query(sql`
          SELECT COUNT(*) AS count FROM orders
          WHERE id IN (${sql.join(
            orderIds.map((id) => sql`${id}`),
            sql`, `,
          )}) AND status = 'CANCELED' AND cancel_source = 'RESERVATION_EXPIRY'`);
        expect(Number(row.count), lastLogLines()).toBe(CALLS);
      },
      { timeout: 15_000, interval: 100 },
    );

    // The log line of a batch is written right after its commit.
    await vi.waitFor(() =>
      expect(
        replicas.reduce(
          (total, { service }, index) =>
            total + expiredOrderIdsLoggedBy(service).length - loggedBefore[index]!,
          0,
        ),
      ).toBe(CALLS),
    );
    const [first, second] = replicas.map(({ service }, index) =>
      expiredOrderIdsLoggedBy(service).slice(loggedBefore[index]),
    ) as [number[], number[]];
    console.log(
      `${CALLS} expired reservations, both replicas sweeping (batches of ${SWEEP_BATCH_SIZE}) → ` +
        `replica 1 canceled ${first.length}, replica 2 canceled ${second.length}, stock ${await stockOf(productId)} of ${CALLS * qty}`,
    );
    expect([...first, ...second].sort((a, b) => a - b)).toEqual(orderIds);
    // Both sweeps held a batch while the product was locked.
    expect(first.length).toBeGreaterThanOrEqual(SWEEP_BATCH_SIZE);
    expect(second.length).toBeGreaterThanOrEqual(SWEEP_BATCH_SIZE);
    expect(await stockOf(productId)).toBe(CALLS * qty);
  });
});
