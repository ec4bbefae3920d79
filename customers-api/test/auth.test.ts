import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { invalidOperatorTokens, TEST_AUTH } from '@b2b/service-kit/testing';
import { hashPassword } from '../src/auth/passwords';
import { createCustomerViaApi, useCustomersApi } from './helpers';

const USERNAME = 'alice';
const PASSWORD = 'alice-s3cret-password';
const TOKEN_TTL_SECONDS = 900;

const api = useCustomersApi({ tokenTtlSeconds: TOKEN_TTL_SECONDS });
let customerId: number;

beforeAll(async () => {
  await api.db.query(
    sql`INSERT INTO operators (username, password_hash) VALUES (${USERNAME}, ${await hashPassword(PASSWORD)})`,
  );
  customerId = (await createCustomerViaApi(api)).id;
});

describe('POST /auth/token', () => {
  it('when an operator logs in with the right password, then 200 with a bearer token that opens operator endpoints', async () => {
    const login = await api.client.post('/auth/token', { body: { username: USERNAME, password: PASSWORD } });

    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: TOKEN_TTL_SECONDS,
    });
    expect(login.headers.get('cache-control')).toBe('no-store');
    const customers = await api.client.get('/customers', { token: login.body.access_token });
    expect(customers.status).toBe(200);
  });

  it('when the password is wrong, then 401 INVALID_CREDENTIALS', async () => {
    const response = await api.client.post('/auth/token', {
      body: { username: USERNAME, password: 'wrong' },
    });

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('when the username is unknown, then the same 401 as a wrong password', async () => {
    const unknownUser = await api.client.post('/auth/token', {
      body: { username: 'mallory', password: PASSWORD },
    });
    const wrongPassword = await api.client.post('/auth/token', {
      body: { username: USERNAME, password: 'x' },
    });

    expect(unknownUser.status).toBe(401);
    expect(unknownUser.body.code).toBe('INVALID_CREDENTIALS');
    expect(unknownUser.body.detail).toBe(wrongPassword.body.detail);
  });

  it('when the password is missing, then 400 naming the field', async () => {
    const response = await api.client.post('/auth/token', { body: { username: USERNAME } });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'body.password' }));
  });
});

describe('operator endpoints', () => {
  const operatorCalls = () => [
    { method: 'GET', path: '/customers', body: undefined },
    { method: 'POST', path: '/customers', body: { name: 'X', email: 'x@example.test' } },
    { method: 'GET', path: `/customers/${customerId}`, body: undefined },
    { method: 'PUT', path: `/customers/${customerId}`, body: { name: 'X', email: 'x@example.test' } },
    { method: 'DELETE', path: `/customers/${customerId}`, body: undefined },
  ];

  it('when no token is sent, then every operator endpoint answers 401 UNAUTHORIZED', async () => {
    for (const call of operatorCalls()) {
      const response = await api.client.request(call.method, call.path, { body: call.body });
      expect(response.status, `${call.method} ${call.path}`).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
    }
  });

  it('when the token is expired, forged, unsigned or for another audience, then 401', async () => {
    for (const [kind, token] of Object.entries(await invalidOperatorTokens())) {
      for (const call of operatorCalls()) {
        const response = await api.client.request(call.method, call.path, { body: call.body, token });
        expect(response.status, `${kind}: ${call.method} ${call.path}`).toBe(401);
        expect(response.body.code).toBe('UNAUTHORIZED');
      }
    }
  });

  it('when the service token is sent, then every operator endpoint answers 403 FORBIDDEN', async () => {
    for (const call of operatorCalls()) {
      const response = await api.client.request(call.method, call.path, {
        body: call.body,
        token: TEST_AUTH.serviceToken,
      });
      expect(response.status, `${call.method} ${call.path}`).toBe(403);
      expect(response.body.code).toBe('FORBIDDEN');
    }
  });

  it('when the authorization scheme is not Bearer, then 401', async () => {
    const response = await api.client.get('/customers', { headers: { Authorization: `Basic ${api.token}` } });

    expect(response.status).toBe(401);
  });
});

describe('GET /internal/customers/{id} authentication', () => {
  it('when an operator JWT is sent, then 403 FORBIDDEN', async () => {
    const response = await api.client.get(`/internal/customers/${customerId}`, { token: api.token });

    expect(response.status).toBe(403);
    expect(response.body.code).toBe('FORBIDDEN');
  });

  it('when no token is sent, then 401', async () => {
    const response = await api.client.get(`/internal/customers/${customerId}`);

    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHORIZED');
  });

  it('when a wrong service token or a forged JWT is sent, then 401', async () => {
    const tokens = ['not-the-service-token', ...Object.values(await invalidOperatorTokens())];
    for (const token of tokens) {
      const response = await api.client.get(`/internal/customers/${customerId}`, { token });
      expect(response.status, token).toBe(401);
    }
  });
});
