import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '@b2b/service-kit';
import { TEST_AUTH, type TestResponse } from '@b2b/service-kit/testing';
import {
  buildCustomer,
  startCustomersApi,
  UNKNOWN_CUSTOMER_ID,
  useCustomersApi,
  type RunningCustomersApi,
} from './helpers';

const api = useCustomersApi();

function expectProblem(response: TestResponse, status: number, code: string) {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(response.text).not.toMatch(/at .+\.ts:\d+/);
}

describe('errors as problem+json', () => {
  it('when the body is malformed JSON, then 400 INVALID_JSON', async () => {
    const response = await api.client.post('/customers', { token: api.token, body: '{"name": "Acme",' });

    expect(response.status).toBe(400);
    expectProblem(response, 400, 'INVALID_JSON');
  });

  it.each(['null', '"Acme"', '42', 'true'])(
    'when the body is the JSON value %s, not an object, then 400 VALIDATION_FAILED naming the body',
    async (body) => {
      const response = await api.client.post('/customers', { token: api.token, body });

      expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(response.body.errors).toEqual([{ field: 'body', message: 'must be object' }]);
    },
  );

  it('when the body is larger than 100 kB, then 413 PAYLOAD_TOO_LARGE', async () => {
    const body = buildCustomer({ name: 'x'.repeat(101 * 1024) });

    const response = await api.client.post('/customers', { token: api.token, body });

    expect(response.status).toBe(413);
    expectProblem(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('when the route does not exist, then 404 NOT_FOUND', async () => {
    const response = await api.client.get('/nowhere', { token: api.token });

    expect(response.status).toBe(404);
    expectProblem(response, 404, 'NOT_FOUND');
  });

  it('when the method is not allowed on the route, then 405 METHOD_NOT_ALLOWED', async () => {
    const response = await api.client.patch('/customers', { token: api.token, body: buildCustomer() });

    expect(response.status).toBe(405);
    expectProblem(response, 405, 'METHOD_NOT_ALLOWED');
  });

  it('when the body is not JSON at all, then 415', async () => {
    const response = await api.client.post('/customers', {
      token: api.token,
      body: 'name=Acme',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });

    expect(response.status).toBe(415);
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('correlation id', () => {
  it('when the request carries X-Correlation-Id, then the response and its problem carry it back', async () => {
    const response = await api.client.get(`/customers/${UNKNOWN_CUSTOMER_ID}`, {
      token: api.token,
      headers: { 'X-Correlation-Id': 'test-correlation-42' },
    });

    expect(response.headers.get('x-correlation-id')).toBe('test-correlation-42');
    expect(response.body.correlationId).toBe('test-correlation-42');
  });

  it('when the request has none, then one is generated', async () => {
    const response = await api.client.get('/health');

    expect(response.headers.get('x-correlation-id')).toMatch(/\S+/);
  });
});

describe('ops routes', () => {
  it('when the database answers, then /health is 200 ok', async () => {
    const response = await api.client.get('/health');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      checks: { database: 'up', events: 'off' },
      events: { broker: 'off', oldest_unpublished_seconds: null },
    });
  });

  it('when the contract is asked for, then /openapi.yaml serves it and /docs renders it', async () => {
    const contract = await api.client.get('/openapi.yaml');
    const docs = await api.client.get('/docs');

    expect(contract.status).toBe(200);
    expect(contract.text).toContain('operationId: createCustomer');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
  });
});

describe('when the database is down', () => {
  let downApi: RunningCustomersApi;

  beforeAll(async () => {
    // Nothing listens on port 1: every query fails to connect.
    downApi = await startCustomersApi({ db: connectDatabase('mysql://root@127.0.0.1:1/x', { poolSize: 1 }) });
  });

  afterAll(async () => {
    await downApi.stop();
    await downApi.db.dispose();
  });

  it('then customer calls answer 503 DATABASE_UNAVAILABLE', async () => {
    const calls = [
      downApi.client.get('/customers', { token: downApi.token }),
      downApi.client.post('/customers', { token: downApi.token, body: buildCustomer() }),
      downApi.client.get('/internal/customers/1', { token: TEST_AUTH.serviceToken }),
      downApi.client.post('/auth/token', {
        body: { username: 'operator', password: 'operator-dev-password' },
      }),
    ];

    for (const response of await Promise.all(calls)) {
      expect(response.status).toBe(503);
      expectProblem(response, 503, 'DATABASE_UNAVAILABLE');
    }
  });

  it('then /health answers 503 unavailable', async () => {
    const response = await downApi.client.get('/health');

    expect(response.status).toBe(503);
    expect(response.body).toEqual({
      status: 'unavailable',
      checks: { database: 'down', events: 'off' },
      events: { broker: 'off', oldest_unpublished_seconds: null },
    });
  });
});
