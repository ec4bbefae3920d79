import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, listen, type RunningServer } from '@b2b/service-kit';
import {
  TEST_AUTH,
  contractAsserter,
  createTestDatabase,
  httpClient,
  operatorToken,
  type ChildService,
  type HttpClient,
  type TestDatabase,
} from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';
import { createOrdersApp } from '@b2b/orders-api/app';
import { startOrdersEdgeProxy, type OrdersEdgeProxy } from './support/network-edge';
import { ORCHESTRATOR_CONTRACT, ORCHESTRATOR_PATH, uniqueKey } from './support/orchestrator';
import { idempotencyKeys } from '../src/create-and-confirm-order';
import { startOfflineOrchestrator } from '@b2b/lambda-orchestrator/testing';

/**
 * The built Lambda under serverless-offline, in front of the real Customers and Orders
 * APIs and a real database. The Orders API sits behind a proxy that can make confirmations
 * fail, so compensation is tested at the network edge with every service real.
 */
const UPSTREAM_TIMEOUT_MS = 2_000;
/** The operator of `operatorToken()`. */
const OPERATOR = 'test-operator';
const expectContractResponse = contractAsserter(ORCHESTRATOR_CONTRACT);

describe('the orchestrator under serverless-offline, end to end', () => {
  let database: TestDatabase;
  let customersApi: RunningServer;
  let ordersApi: RunningServer;
  let ordersEdge: OrdersEdgeProxy;
  let orchestrator: ChildService;
  let orchestratorUrl: string;
  let customers: HttpClient;
  let orders: HttpClient;
  let token: string;

  let sequence = 0;
  const unique = () => `${Date.now().toString(36)}${(sequence += 1)}`;

  async function buildCustomer(overrides: Record<string, unknown> = {}) {
    const id = unique();
    const response = await customers.post('/customers', {
      token,
      body: { name: `Customer ${id}`, email: `buyer-${id}@example.com`, phone: '+1 555 0100', ...overrides },
    });
    expect(response.status, response.text).toBe(201);
    return response.body as { id: number; name: string; email: string; phone: string | null };
  }

  async function buildProduct(overrides: Record<string, unknown> = {}) {
    const response = await orders.post('/products', {
      token,
      body: { sku: `SKU-${unique()}`, name: 'Euro pallet', price_cents: 1450, stock: 50, ...overrides },
    });
    expect(response.status, response.text).toBe(201);
    return response.body as { id: number; price_cents: number; stock: number };
  }

  /** A new customer and a product with 10 in stock, and a request ordering `qty` of it under a new key. */
  async function orderOfOneProduct(qty: number) {
    const customer = await buildCustomer();
    const product = await buildProduct({ stock: 10 });
    const body = {
      customer_id: customer.id,
      items: [{ product_id: product.id, qty }],
      idempotency_key: uniqueKey(),
    };
    return { product, body };
  }

  const stockOf = async (productId: number) =>
    (await orders.get(`/products/${productId}`, { token })).body.stock;

  async function createAndConfirm(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(orchestratorUrl + ORCHESTRATOR_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify(body),
    });
    const document = (await expectContractResponse('post', ORCHESTRATOR_PATH, response)) as any;
    return { status: response.status, correlationId: response.headers.get('X-Correlation-Id'), document };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const logger = createLogger({ service: 'test', level: 'silent' });
    const { db } = database;
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
    ordersEdge = await startOrdersEdgeProxy(ordersApi.url);
    customers = httpClient(customersApi.url);
    orders = httpClient(ordersApi.url);
    token = await operatorToken();

    // Cold start: from spawning serverless-offline to the first 201 it answers.
    const customer = await buildCustomer();
    const product = await buildProduct();
    const spawnedAt = performance.now();
    const offline = await startOfflineOrchestrator({
      ordersApiBase: ordersEdge.url,
      env: { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS), UPSTREAM_RETRIES: '2' },
    });
    orchestrator = offline.service;
    orchestratorUrl = offline.url;
    const first = await createAndConfirm({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 1 }],
      idempotency_key: uniqueKey('cold-start'),
    });
    expect(first.status, orchestrator.output()).toBe(201);
    console.log(
      `orchestrator cold start (spawn serverless-offline → first 201): ${Math.round(performance.now() - spawnedAt)} ms`,
    );
  });

  afterAll(async () => {
    await orchestrator?.stop();
    await ordersEdge?.close();
    await ordersApi?.close().catch(() => undefined); // the last test stopped it already
    await customersApi?.close();
    await database?.drop();
  });

  it('when an operator creates and confirms an order, then 201 with the customer and the confirmed order, priced and stock reserved', async () => {
    const customer = await buildCustomer();
    const pallet = await buildProduct({ price_cents: 1450, stock: 10 });
    const tape = await buildProduct({ price_cents: 310, stock: 10 });
    ordersEdge.requests.length = 0;

    const { status, correlationId, document } = await createAndConfirm(
      {
        customer_id: customer.id,
        items: [
          { product_id: pallet.id, qty: 2 },
          { product_id: tape.id, qty: 5 },
        ],
        idempotency_key: uniqueKey(),
      },
      { 'X-Correlation-Id': 'e2e-happy-path-1' },
    );

    expect(status).toBe(201);
    expect(correlationId).toBe('e2e-happy-path-1');
    expect(document).toEqual({
      success: true,
      correlationId: 'e2e-happy-path-1',
      data: {
        customer: { id: customer.id, name: customer.name, email: customer.email, phone: customer.phone },
        order: {
          id: expect.any(Number),
          status: 'CONFIRMED',
          total_cents: 2 * 1450 + 5 * 310,
          items: [
            { product_id: pallet.id, qty: 2, unit_price_cents: 1450, subtotal_cents: 2900 },
            { product_id: tape.id, qty: 5, unit_price_cents: 310, subtotal_cents: 1550 },
          ],
        },
      },
    });
    // A first call is no replay: no extra read of the order.
    expect(ordersEdge.requests).toEqual(['POST /orders', `POST /orders/${document.data.order.id}/confirm`]);
    const order = await orders.get(`/orders/${document.data.order.id}`, { token });
    expect(order.body.status).toBe('CONFIRMED');
    expect([await stockOf(pallet.id), await stockOf(tape.id)]).toEqual([8, 5]);
  });

  it('when the same idempotency key is sent twice, then the same order comes back and stock moves once', async () => {
    const { product, body } = await orderOfOneProduct(3);

    const first = await createAndConfirm(body);
    ordersEdge.requests.length = 0;
    const second = await createAndConfirm(body);

    expect([first.status, second.status]).toEqual([201, 201]);
    const orderId = first.document.data.order.id;
    expect(ordersEdge.requests).toEqual([
      'POST /orders',
      `POST /orders/${orderId}/confirm`,
      `GET /orders/${orderId}`,
    ]);
    expect(second.document.data).toEqual(first.document.data);
    expect(await stockOf(product.id)).toBe(7);
  });

  it('when the order of a completed key was canceled since, then the same key answers 409 ORDER_CANCELED and creates nothing', async () => {
    const { product, body } = await orderOfOneProduct(3);
    const first = await createAndConfirm(body);
    expect(first.status).toBe(201);
    const orderId: number = first.document.data.order.id;
    const canceled = await orders.post(`/orders/${orderId}/cancel`, { token });
    expect(canceled.body.status, canceled.text).toBe('CANCELED');
    ordersEdge.requests.length = 0;

    const { status, document } = await createAndConfirm(body);

    expect(status).toBe(409);
    expect(document).toMatchObject({
      code: 'ORDER_CANCELED',
      detail: `Order ${orderId} created for this idempotency key has since been canceled.`,
    });
    // Both steps were replays; the order was read again, and neither confirmed nor canceled.
    expect(ordersEdge.requests).toEqual([
      'POST /orders',
      `POST /orders/${orderId}/confirm`,
      `GET /orders/${orderId}`,
    ]);
    const newest = await orders.get('/orders?limit=1', { token });
    expect(newest.body.data.map((order: { id: number }) => order.id)).toEqual([orderId]);
    expect((await orders.get(`/orders/${orderId}`, { token })).body.status).toBe('CANCELED');
    expect(await stockOf(product.id)).toBe(10);
  });

  it('when a previous call crashed after creating the order, then the retry confirms that same order', async () => {
    const { product, body } = await orderOfOneProduct(2);
    // What the first attempt did before it died: create, as the orchestrator does (service
    // token, the key it derives from the operator and their key).
    const created = await orders.post('/orders', {
      token: TEST_AUTH.serviceToken,
      headers: { 'X-Idempotency-Key': idempotencyKeys(OPERATOR, body.idempotency_key).create },
      body: { customer_id: body.customer_id, items: body.items },
    });
    expect(created.status, created.text).toBe(201);

    const { status, document } = await createAndConfirm(body);

    expect(status).toBe(201);
    expect(document.data.order).toMatchObject({ id: created.body.id, status: 'CONFIRMED' });
    expect(await stockOf(product.id)).toBe(8);
  });

  describe('idempotency keys belong to whoever sent them', () => {
    it('when an operator has used, on the Orders API, every key the orchestrator could derive from theirs, then the orchestrator call is unaffected: a new order, confirmed, and theirs left as it is', async () => {
      const { product, body } = await orderOfOneProduct(2);
      const derived = idempotencyKeys(OPERATOR, body.idempotency_key);
      const order = { customer_id: body.customer_id, items: body.items };
      const claimed = [
        derived.create,
        `orchestrator:${body.idempotency_key}:create`,
        `orchestrator:${body.idempotency_key}:confirm`,
      ];
      const operatorsOrders: number[] = [];
      for (const key of claimed) {
        const created = await orders.post('/orders', {
          token,
          headers: { 'X-Idempotency-Key': key },
          body: order,
        });
        expect(created.status, created.text).toBe(201);
        operatorsOrders.push(created.body.id);
      }
      // The confirmation key too, claimed on another order of the operator's.
      const confirmed = await orders.post(`/orders/${operatorsOrders[0]}/confirm`, {
        token,
        headers: { 'X-Idempotency-Key': derived.confirm },
      });
      expect(confirmed.status, confirmed.text).toBe(200);

      const { status, document } = await createAndConfirm(body);

      expect(status).toBe(201);
      expect(operatorsOrders).not.toContain(document.data.order.id);
      expect(document.data.order.status).toBe('CONFIRMED');
      const theirs = await orders.get(`/orders/${operatorsOrders[1]}`, { token });
      expect(theirs.body.status).toBe('CREATED');
      expect(await stockOf(product.id)).toBe(2);
    });

    it('when two operators send the same idempotency_key and body, then each gets an order of their own', async () => {
      const { product, body } = await orderOfOneProduct(2);
      const other = await operatorToken('another-operator');

      const mine = await createAndConfirm(body);
      const theirs = await createAndConfirm(body, { Authorization: `Bearer ${other}` });

      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.document.data.order.id).not.toBe(mine.document.data.order.id);
      expect(await stockOf(product.id)).toBe(6);
    });
  });

  it('when the customer of a placed order has been deleted since, then a retry with the key answers 201 from the record, the customer as they were', async () => {
    const customer = await buildCustomer();
    const product = await buildProduct({ stock: 10 });
    const body = {
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 1 }],
      idempotency_key: uniqueKey(),
    };
    const first = await createAndConfirm(body);
    expect(first.status).toBe(201);
    const deleted = await customers.delete(`/customers/${customer.id}`, { token });
    expect(deleted.status, deleted.text).toBe(204);

    const retry = await createAndConfirm(body);

    expect(retry.status).toBe(201);
    expect(retry.document.data).toEqual(first.document.data);
    expect(retry.document.data.customer).toEqual({
      id: customer.id,
      name: customer.name,
      email: customer.email,
      phone: customer.phone,
    });
    expect(await stockOf(product.id)).toBe(9);
  });

  it('when the customer does not exist, then 404 CUSTOMER_NOT_FOUND and no stock moves', async () => {
    const product = await buildProduct({ stock: 10 });
    const { status, document } = await createAndConfirm({
      customer_id: 987_654_321,
      items: [{ product_id: product.id, qty: 1 }],
      idempotency_key: uniqueKey(),
    });
    expect(status).toBe(404);
    expect(document.code).toBe('CUSTOMER_NOT_FOUND');
    expect(await stockOf(product.id)).toBe(10);
  });

  it('when a product has too little stock, then 409 INSUFFICIENT_STOCK and nothing is reserved', async () => {
    const customer = await buildCustomer();
    const plenty = await buildProduct({ stock: 10 });
    const scarce = await buildProduct({ stock: 1 });
    const { status, document } = await createAndConfirm({
      customer_id: customer.id,
      items: [
        { product_id: plenty.id, qty: 2 },
        { product_id: scarce.id, qty: 5 },
      ],
      idempotency_key: uniqueKey(),
    });
    expect(status).toBe(409);
    expect(document.code).toBe('INSUFFICIENT_STOCK');
    // The Orders API's field errors come through, naming the line of this request.
    expect(document.errors).toEqual([{ field: 'body.items.1.qty', message: '5 requested, 1 available' }]);
    expect([await stockOf(plenty.id), await stockOf(scarce.id)]).toEqual([10, 1]);
  });

  it('when confirmation keeps failing and the order is still CREATED, then it is canceled as a compensation, its stock restored, and 502 ORDER_CONFIRMATION_FAILED names it', async () => {
    const { product, body } = await orderOfOneProduct(4);
    ordersEdge.failConfirmations = true;
    ordersEdge.requests.length = 0;
    try {
      const { status, document } = await createAndConfirm(body);
      expect(status).toBe(502);
      expect(document.code).toBe('ORDER_CONFIRMATION_FAILED');
      const orderId = Number(/^Order (\d+) /.exec(document.detail)?.[1]);
      expect(document.detail).toContain('it was canceled and its stock restored');
      const order = (await orders.get(`/orders/${orderId}`, { token })).body;
      expect(order).toMatchObject({ status: 'CANCELED', cancel_source: 'ORCHESTRATOR_COMPENSATION' });
      expect(order.cancel_reason).toMatch(
        /^The orchestrator could not confirm the order \(the Orders API answered 503/,
      );
      expect(await stockOf(product.id)).toBe(10);
      // No answer to the confirmations (5xx): the order was read, found CREATED, and only then canceled.
      expect(ordersEdge.requests).toEqual([
        'POST /orders',
        `POST /orders/${orderId}/confirm`,
        `POST /orders/${orderId}/confirm`,
        `POST /orders/${orderId}/confirm`,
        `GET /orders/${orderId}`,
        `POST /orders/${orderId}/cancel`,
      ]);
    } finally {
      ordersEdge.failConfirmations = false;
    }
  });

  it('when a compensated call is retried with its key, then 409 ORDER_CANCELED and stock stays restored', async () => {
    const { product, body: request } = await orderOfOneProduct(4);
    ordersEdge.failConfirmations = true;
    try {
      expect((await createAndConfirm(request)).status).toBe(502);
    } finally {
      ordersEdge.failConfirmations = false;
    }

    const { status, document } = await createAndConfirm(request);

    expect(status).toBe(409);
    expect(document.code).toBe('ORDER_CANCELED');
    expect(await stockOf(product.id)).toBe(10);
  });

  it('when the answer to a confirmation is lost, then the retry gets the stored confirmation and stock moves once', async () => {
    const { product, body } = await orderOfOneProduct(3);
    // The Orders API confirms, but its answer waits at the edge until the orchestrator's
    // call has timed out and it has retried with the same key.
    const lostAnswer = ordersEdge.holdNextAnswer(/^POST \/orders\/\d+\/confirm$/);
    ordersEdge.requests.length = 0;

    const call = createAndConfirm(body);
    await lostAnswer.arrived;
    const { status, document } = await call;
    lostAnswer.release();

    expect(status).toBe(201);
    const orderId: number = document.data.order.id;
    expect(document.data.order.status).toBe('CONFIRMED');
    // The retry was replayed, so the order was read again to be sure it is still confirmed.
    expect(ordersEdge.requests).toEqual([
      'POST /orders',
      `POST /orders/${orderId}/confirm`,
      `POST /orders/${orderId}/confirm`,
      `GET /orders/${orderId}`,
    ]);
    expect((await orders.get(`/orders/${orderId}`, { token })).body.status).toBe('CONFIRMED');
    expect(await stockOf(product.id)).toBe(7);
  });

  // Last: it takes the Orders API away for good.
  it('when the Orders API is stopped, then 502 UPSTREAM_UNAVAILABLE: the refused connection, not a timeout', async () => {
    const customer = await buildCustomer();
    const product = await buildProduct();
    await ordersEdge.close();
    await ordersApi.close();

    const { status, document } = await createAndConfirm({
      customer_id: customer.id,
      items: [{ product_id: product.id, qty: 1 }],
      idempotency_key: uniqueKey(),
    });

    // A call that waited out its timeout would be 504 UPSTREAM_TIMEOUT ("did not answer within").
    expect(status).toBe(502);
    expect(document.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(document.detail).toMatch(/^The Orders API is unreachable \(/);
  });
});
