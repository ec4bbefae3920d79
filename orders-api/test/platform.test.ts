import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidOperatorTokens, TEST_AUTH } from '@b2b/service-kit/testing';
import { startSystem, type System } from './helpers';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('the platform around the Orders API', () => {
  it('when the health is asked for, then 200 with the database up, without a token', async () => {
    const response = await system.api.get('/health');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      checks: { database: 'up', events: 'off' },
      events: { broker: 'off', oldest_unpublished_seconds: null },
    });
  });

  it('when the contract and the docs are asked for, then both are served', async () => {
    const contract = await system.api.get('/openapi.yaml');
    const docs = await system.api.get('/docs');

    expect(contract.status).toBe(200);
    expect(contract.text).toContain('Orders API');
    expect(docs.status).toBe(200);
  });

  it('when the contracts are asked for, then its own names a relative server and the other two are served read-only', async () => {
    const own = await system.api.get('/openapi.yaml');
    const customers = await system.api.get('/docs/customers.yaml');
    const orchestrator = await system.api.get('/docs/orchestrator.yaml');

    expect(own.text).toMatch(/^servers:\n {2}- url: \.\n/m);
    expect(own.text).not.toContain('127.0.0.1:3002');
    expect(customers.status).toBe(200);
    expect(customers.text).toContain('title: B2B Orders Backoffice — Customers API');
    expect(orchestrator.status).toBe(200);
    expect(orchestrator.text).toContain('operationId: createAndConfirmOrder');
  });

  it('when a request carries X-Correlation-Id, then the response echoes it; otherwise one is generated', async () => {
    const echoed = await system.api.get('/health', { headers: { 'X-Correlation-Id': 'corr-platform-1' } });
    const generated = await system.api.get('/health');

    expect(echoed.headers.get('x-correlation-id')).toBe('corr-platform-1');
    expect(generated.headers.get('x-correlation-id')).toMatch(/^[A-Za-z0-9._:-]+$/);
  });

  it.each(['/products', '/orders'])(
    'when GET %s is called with a bad operator token, then 401',
    async (path) => {
      for (const token of Object.values(await invalidOperatorTokens())) {
        const response = await system.api.get(path, { token });
        expect(response.status).toBe(401);
        expect(response.body.code).toBe('UNAUTHORIZED');
      }
    },
  );

  it.each(['/products', '/orders'])(
    'when GET %s is called with the service token, then 403 (operators only)',
    async (path) => {
      const response = await system.api.get(path, { token: TEST_AUTH.serviceToken });

      expect(response.status).toBe(403);
      expect(response.body.code).toBe('FORBIDDEN');
    },
  );

  it('when GET /orders/{id} is called with the service token, then it is accepted', async () => {
    const { order } = await system.createOrder();

    const response = await system.api.get(`/orders/${order.id}`, { token: TEST_AUTH.serviceToken });

    expect(response.status).toBe(200);
  });

  it('when the body is not JSON, then 400 INVALID_JSON', async () => {
    const response = await system.api.post('/products', { token: system.token, body: '{"sku":' });

    expect(response.status).toBe(400);
  });
});
