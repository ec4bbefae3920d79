import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { document as customersContract } from '@b2b/contracts/customers';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { document as orchestratorContract } from '@b2b/contracts/orchestrator';
import { document as ordersContract } from '@b2b/contracts/orders';
import { createCustomersApp } from '@b2b/customers-api/app';
import { createOrdersApp } from '@b2b/orders-api/app';
import { applySeed, createLogger, listen, type RunningServer } from '@b2b/service-kit';
import {
  TEST_AUTH,
  contractRefResolver,
  createTestDatabase,
  httpClient,
  operatorToken,
  type HttpClient,
  type TestDatabase,
} from '@b2b/service-kit/testing';

/**
 * The contracts' examples are the development seed data (db/seed.sql), so what Swagger UI,
 * the Prism mocks and the Postman collection show is what a reader gets from `npm start`:
 * an example read of customer 1, product 1 or order 1 shows it as seeded, and the creation
 * examples, sent in order to a freshly seeded system, create what they show (customer 6,
 * product 11, order 3, which is then confirmed and canceled, and a new price for product 1,
 * which only orders created after it pay). Timestamps are the one thing
 * compared by presence only: the seed's are the time it was loaded.
 */
type Json = Record<string, unknown>;

const TIMESTAMPS = new Set(['created_at', 'updated_at', 'confirmed_at', 'canceled_at']);

/** `value` with every timestamp replaced by whether it is set. */
function withoutTimestamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimestamps);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) =>
      TIMESTAMPS.has(key) ? [key, entry === null ? null : 'a timestamp'] : [key, withoutTimestamps(entry)],
    ),
  );
}

const exampleIn = (media: Json | undefined): unknown =>
  media && ('example' in media ? media.example : Object.values(media.examples as Json)[0]);

interface ExampleExchange {
  /** The path with its path parameters' examples, and the query of its query parameters' (but `cursor`). */
  url: string;
  body: unknown;
  status: number;
  response: unknown;
}

/** What the contract shows for one operation: its example request and its success example. */
function exampleExchange(contract: OpenApiDocument, method: string, template: string): ExampleExchange {
  const resolve = contractRefResolver(contract);
  const pathItem = contract.paths[template] as Json;
  const operation = resolve(pathItem[method]);
  const parameters = [
    ...((pathItem.parameters ?? []) as Json[]),
    ...((operation.parameters ?? []) as Json[]),
  ].map(resolve);
  let url = template;
  const query = new URLSearchParams();
  for (const parameter of parameters) {
    if (parameter.in === 'path') url = url.replace(`{${parameter.name}}`, String(parameter.example));
    if (parameter.in === 'query' && parameter.name !== 'cursor' && parameter.example !== undefined)
      query.set(String(parameter.name), String(parameter.example));
  }
  const responses = operation.responses as Json;
  const status = Math.min(
    ...Object.keys(responses)
      .map(Number)
      .filter((code) => code < 300),
  );
  const content = resolve(responses[String(status)]).content as Json;
  const requestContent = (operation.requestBody as Json | undefined)?.content as Json | undefined;
  return {
    url: query.size > 0 ? `${url}?${query}` : url,
    body: exampleIn(requestContent?.['application/json'] as Json | undefined),
    status,
    response: exampleIn(content['application/json'] as Json),
  };
}

const CONTRACTS = { customers: customersContract, orders: ordersContract } as const;

let database: TestDatabase;
let servers: RunningServer[] = [];
let customers: HttpClient;
let orders: HttpClient;
let token: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await applySeed(database.db);
  const logger = createLogger({ service: 'contract-examples', level: 'silent' });
  const customersApi = await listen(
    createCustomersApp({ db: database.db, auth: TEST_AUTH, logger, validateResponses: true }),
  );
  const ordersApi = await listen(
    createOrdersApp({
      db: database.db,
      auth: TEST_AUTH,
      logger,
      customersApiBase: customersApi.url,
      validateResponses: true,
    }),
  );
  servers = [ordersApi, customersApi];
  customers = httpClient(customersApi.url);
  orders = httpClient(ordersApi.url);
  token = await operatorToken();
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await database?.drop();
});

describe('the contracts’ examples on a freshly seeded system', () => {
  it('when the log-in example is sent, then the seeded development operator gets a token', async () => {
    const example = exampleExchange(customersContract, 'post', '/auth/token');

    const response = await customers.post(example.url, { body: example.body });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
  });

  // Reads first: the writes below change customer 1 and the stock of products 1 and 3.
  it.each([
    ['customers', '/customers/{id}'],
    ['customers', '/customers'],
    ['orders', '/products/{id}'],
    ['orders', '/products'],
    ['orders', '/orders/{id}'],
  ] as const)(
    'when the %s API’s GET %s example is sent, then the answer is the example',
    async (api, path) => {
      const example = exampleExchange(CONTRACTS[api], 'get', path);

      const response = await (api === 'customers' ? customers : orders).get(example.url, { token });

      expect(response.status).toBe(200);
      expect(withoutTimestamps(response.body)).toEqual(withoutTimestamps(example.response));
    },
  );

  it('when the internal lookup example is sent with the service token, then the answer is the example', async () => {
    const example = exampleExchange(customersContract, 'get', '/internal/customers/{id}');

    const response = await customers.get(example.url, { token: TEST_AUTH.serviceToken });

    expect(withoutTimestamps(response.body)).toEqual(withoutTimestamps(example.response));
  });

  it('when the GET /orders example page is shown, then each of its orders is the seeded one', async () => {
    // Its `from` and `to` examples name a fixed month, and the seed's orders are as old as the seed.
    const page = exampleExchange(ordersContract, 'get', '/orders').response as { data: Json[] };

    expect(page.data.length).toBeGreaterThan(0);
    for (const order of page.data) {
      const response = await orders.get(`/orders/${order.id}`, { token });
      expect(withoutTimestamps(response.body)).toEqual(withoutTimestamps(order));
    }
  });

  it('when the orchestrator’s example answer is shown, then its customer and prices are the seeded ones', async () => {
    const example = exampleExchange(orchestratorContract, 'post', '/orchestrator/create-and-confirm-order');
    const { customer, order } = (example.response as { data: { customer: Json; order: { items: Json[] } } })
      .data;

    const seeded = await customers.get(`/customers/${customer.id}`, { token });
    expect(seeded.body).toMatchObject(customer);
    for (const item of order.items) {
      const product = await orders.get(`/products/${item.product_id}`, { token });
      expect(item.unit_price_cents).toBe(product.body.price_cents);
    }
  });

  // The order example keeps customer 1 as seeded (its snapshot), whatever the customer
  // update example, sent after it, does to the customer.
  it.each([
    ['customers', 'post', '/customers'],
    ['orders', 'post', '/products'],
    ['orders', 'post', '/orders'],
    ['customers', 'put', '/customers/{id}'],
  ] as const)(
    'when the %s API’s %s %s example is sent, then it does what its example answer shows',
    async (api, method, path) => {
      const example = exampleExchange(CONTRACTS[api], method, path);

      const response = await (api === 'customers' ? customers : orders).request(
        method.toUpperCase(),
        example.url,
        {
          token,
          body: example.body,
        },
      );

      expect(response.status).toBe(example.status);
      expect(withoutTimestamps(response.body)).toEqual(withoutTimestamps(example.response));
    },
  );

  it('when the order the example created is confirmed and then canceled as the examples show, then the answers are those examples', async () => {
    const confirm = exampleExchange(ordersContract, 'post', '/orders/{id}/confirm');
    const cancel = exampleExchange(ordersContract, 'post', '/orders/{id}/cancel');
    const orderId = (confirm.response as Json).id;

    const confirmed = await orders.post(`/orders/${orderId}/confirm`, {
      token,
      headers: { 'X-Idempotency-Key': randomUUID() },
    });
    const canceled = await orders.post(`/orders/${orderId}/cancel`, { token, body: cancel.body });

    expect(withoutTimestamps(confirmed.body)).toEqual(withoutTimestamps(confirm.response));
    expect(withoutTimestamps(canceled.body)).toEqual(withoutTimestamps(cancel.response));
  });

  it('when the product update example is sent last, then it answers the example and orders already placed keep their prices', async () => {
    const example = exampleExchange(ordersContract, 'patch', '/products/{id}');
    const orderId = (exampleExchange(ordersContract, 'post', '/orders').response as Json).id;

    const response = await orders.patch(example.url, { token, body: example.body });
    const order = await orders.get(`/orders/${orderId}`, { token });

    expect(withoutTimestamps(response.body)).toEqual(withoutTimestamps(example.response));
    expect(order.body.total_cents).toBe(
      (exampleExchange(ordersContract, 'post', '/orders').response as Json).total_cents,
    );
  });
});
