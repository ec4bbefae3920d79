import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { document as orchestratorContract } from '@b2b/contracts/orchestrator';
import { createLogger, listen, sql, type RunningServer } from '@b2b/service-kit';
import {
  TEST_AUTH,
  contractAsserter,
  createTestDatabase,
  httpClient,
  operatorToken,
  startTcpProxy,
  type ChildService,
  type HttpClient,
  type TcpProxy,
  type TestDatabase,
} from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';
import { createOrdersApp } from '@b2b/orders-api/app';
import { startOfflineOrchestrator } from '@b2b/lambda-orchestrator/testing';

/**
 * Issue 13 §4/§5: answers of the Orders API lost on the way back to the orchestrator. The
 * built Lambda runs under serverless-offline in front of the real APIs and a fresh
 * database; a TCP proxy between it and the Orders API lets each request through and resets
 * the connection as soon as the chosen answers begin, so the Orders API has done the work
 * and the orchestrator never learns it. Whatever is lost, a confirmed order is never
 * canceled, and a retry with the same key settles to one CONFIRMED order with stock moved
 * once.
 */
const ORCHESTRATOR_PATH = '/orchestrator/create-and-confirm-order';
const CONFIRM = /^POST \/orders\/\d+\/confirm$/;
const ORDER_LOOKUP = /^GET \/orders\/\d+$/;
const CANCEL = /^POST \/orders\/\d+\/cancel$/;
const STOCK = 10;
const expectContractResponse = contractAsserter(orchestratorContract);

describe('the orchestrator when answers of the Orders API are lost', () => {
  let database: TestDatabase;
  let customersApi: RunningServer;
  let ordersApi: RunningServer;
  let ordersEdge: TcpProxy;
  let orchestrator: ChildService;
  let orchestratorUrl: string;
  let customers: HttpClient;
  let orders: HttpClient;
  let token: string;

  let sequence = 0;
  const unique = () => `${Date.now().toString(36)}-${(sequence += 1)}`;

  /** A new customer and product, and a request for `qty` of it under a new key. */
  async function newOrderRequest(qty: number) {
    const customer = await customers.post('/customers', {
      token,
      body: { name: `Lost answers ${unique()}`, email: `lost-${unique()}@example.com` },
    });
    const product = await orders.post('/products', {
      token,
      body: { sku: `LOST-${unique()}`, name: 'Euro pallet', price_cents: 1450, stock: STOCK },
    });
    expect([customer.status, product.status], customer.text + product.text).toEqual([201, 201]);
    return {
      customerId: customer.body.id as number,
      productId: product.body.id as number,
      body: {
        customer_id: customer.body.id,
        items: [{ product_id: product.body.id, qty }],
        idempotency_key: `lost-${unique()}`,
      },
    };
  }

  async function createAndConfirm(body: unknown) {
    const response = await fetch(orchestratorUrl + ORCHESTRATOR_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const document = (await expectContractResponse('post', ORCHESTRATOR_PATH, response)) as any;
    return { status: response.status, document };
  }

  /** Straight from the database: what the APIs' own answers could hide. */
  async function ordersOf(customerId: number) {
    const rows = await database.db.query(
      sql`SELECT id, status, canceled_at FROM orders WHERE customer_id = ${customerId} ORDER BY id`,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      status: row.status,
      canceled: row.canceled_at !== null,
    }));
  }
  async function stockOf(productId: number): Promise<number> {
    const [row] = await database.db.query(sql`SELECT stock FROM products WHERE id = ${productId}`);
    return Number(row.stock);
  }
  const requestsMatching = (pattern: RegExp, from: number) =>
    ordersEdge.requests.slice(from).filter((request) => pattern.test(request));

  beforeAll(async () => {
    database = await createTestDatabase();
    const { db } = database;
    const logger = createLogger({ service: 'faults', level: 'silent' });
    customersApi = await listen(createCustomersApp({ db, auth: TEST_AUTH, logger, validateResponses: true }));
    ordersApi = await listen(
      createOrdersApp({
        db,
        auth: TEST_AUTH,
        logger,
        customersApiBase: customersApi.url,
        validateResponses: true,
      }),
    );
    ordersEdge = await startTcpProxy(ordersApi.url);
    customers = httpClient(customersApi.url);
    orders = httpClient(ordersApi.url);
    token = await operatorToken();
    const offline = await startOfflineOrchestrator({
      ordersApiBase: ordersEdge.url,
      // The defaults: every call retried twice. Lost answers come back at once (a reset), so
      // no call waits out its timeout here.
      env: { UPSTREAM_TIMEOUT_MS: '3000', UPSTREAM_RETRIES: '2' },
    });
    orchestrator = offline.service;
    orchestratorUrl = offline.url;
  });

  afterEach(() => ordersEdge.forwardAll());

  afterAll(async () => {
    await orchestrator?.stop();
    await ordersEdge?.close();
    await ordersApi?.close();
    await customersApi?.close();
    await database?.drop();
  });

  it('when only the first confirmation answer is lost, then the call is answered 201 and a retry with the same key settles to one CONFIRMED order, stock reduced once', async () => {
    const { customerId, productId, body } = await newOrderRequest(3);
    ordersEdge.loseAnswers(CONFIRM, 1);
    const before = ordersEdge.requests.length;

    const first = await createAndConfirm(body);
    const retry = await createAndConfirm(body);

    expect(ordersEdge.lostAnswers).toBe(1);
    expect(first.status, orchestrator.output()).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.document.data).toEqual(first.document.data);
    const [order, ...others] = await ordersOf(customerId);
    expect(others).toEqual([]);
    expect(order).toMatchObject({ id: first.document.data.order.id, status: 'CONFIRMED', canceled: false });
    expect(await stockOf(productId)).toBe(STOCK - 3);
    expect(requestsMatching(CANCEL, before)).toEqual([]);
  });

  it('when every confirmation answer is lost, then each order found CONFIRMED is answered 201 and none is canceled', async () => {
    const calls = await Promise.all([1, 2, 3, 4].map((qty) => newOrderRequest(qty)));
    ordersEdge.loseAnswers(CONFIRM);
    const before = ordersEdge.requests.length;
    const lostBefore = ordersEdge.lostAnswers;

    const answers = await Promise.all(calls.map(({ body }) => createAndConfirm(body)));

    const statuses = answers.map((answer) => answer.status);
    console.log(
      `every confirmation answer lost: ${calls.length} calls → ${JSON.stringify(countOf(statuses))}, ` +
        `${ordersEdge.lostAnswers - lostBefore} answers lost, ` +
        `${requestsMatching(ORDER_LOOKUP, before).length} order reads, ${requestsMatching(CANCEL, before).length} cancels`,
    );
    expect(statuses, orchestrator.output()).toEqual([201, 201, 201, 201]);
    expect(requestsMatching(CANCEL, before)).toEqual([]);
    for (const [index, { customerId, productId }] of calls.entries()) {
      const placed = await ordersOf(customerId);
      expect(placed).toEqual([
        { id: answers[index]!.document.data.order.id, status: 'CONFIRMED', canceled: false },
      ]);
      expect(await stockOf(productId)).toBe(STOCK - (index + 1));
    }
  });

  it('when the answers to the order reads are lost too, then 502 ORDER_STATE_UNKNOWN, nothing is canceled, and the retry with the same key answers 201 with that order', async () => {
    const calls = await Promise.all([1, 2, 3].map((qty) => newOrderRequest(qty)));
    ordersEdge.loseAnswers(CONFIRM);
    ordersEdge.loseAnswers(ORDER_LOOKUP);
    const before = ordersEdge.requests.length;
    const lostBefore = ordersEdge.lostAnswers;

    const answers = await Promise.all(calls.map(({ body }) => createAndConfirm(body)));

    const statuses = answers.map((answer) => answer.status);
    const lost = ordersEdge.lostAnswers - lostBefore;
    ordersEdge.forwardAll();
    const retries = await Promise.all(calls.map(({ body }) => createAndConfirm(body)));
    console.log(
      `confirmation and order-read answers lost: ${calls.length} calls → ${JSON.stringify(countOf(statuses))}, ` +
        `${lost} answers lost, ${requestsMatching(CANCEL, before).length} cancels; ` +
        `retries with the same keys → ${JSON.stringify(countOf(retries.map((retry) => retry.status)))}`,
    );

    expect(statuses, orchestrator.output()).toEqual([502, 502, 502]);
    for (const { document } of answers) {
      expect(document.code).toBe('ORDER_STATE_UNKNOWN');
      expect(document.detail).toMatch(/^Order \d+ /);
      expect(document.detail).toContain('same idempotency_key');
    }
    expect(requestsMatching(CANCEL, before)).toEqual([]);
    expect(retries.map((retry) => retry.status)).toEqual([201, 201, 201]);
    for (const [index, { customerId, productId }] of calls.entries()) {
      const orderId = Number(/^Order (\d+) /.exec(answers[index]!.document.detail)?.[1]);
      expect(retries[index]!.document.data.order).toMatchObject({ id: orderId, status: 'CONFIRMED' });
      expect(await ordersOf(customerId)).toEqual([{ id: orderId, status: 'CONFIRMED', canceled: false }]);
      expect(await stockOf(productId)).toBe(STOCK - (index + 1));
    }
  });
});

function countOf(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
