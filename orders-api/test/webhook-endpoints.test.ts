import { randomUUID } from 'node:crypto';
import { sql } from '@databases/mysql';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@b2b/service-kit';
import { expectInvalidCursor, TEST_AUTH } from '@b2b/service-kit/testing';
import { readOrdersApiConfig } from '../src/config';
import type { LookupFunction } from '../src/webhooks/url-policy';
import { closedPortUrl, startSystem, type HttpClient, type System } from './helpers';

/**
 * The test's own resolver: no real DNS, and no traffic anywhere (registration only resolves;
 * no dispatcher runs here). 93.184.215.14 is a public address, 10.1.2.3 a private one.
 */
const RESOLVED: Record<string, string[]> = {
  'hooks.partner.example': ['93.184.215.14'],
  'internal.partner.example': ['10.1.2.3'],
  'mixed.partner.example': ['93.184.215.14', '10.1.2.3'],
};
const lookup: LookupFunction = async (hostname) => {
  const addresses = RESOLVED[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: 4 }));
};

const PUBLIC_URL = 'https://hooks.partner.example/b2b';
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let system: System;
let api: HttpClient;
let token: string;

beforeAll(async () => {
  system = await startSystem({
    orders: { webhooks: { allowedHosts: [], secretOverlapHours: 24, lookup } },
  });
  api = system.api;
  token = system.token;
});

afterAll(async () => {
  await system?.stop();
});

async function register(body: Record<string, unknown> = {}) {
  const response = await api.post('/webhook-endpoints', {
    token,
    body: { url: PUBLIC_URL, event_types: ['order.confirmed'], ...body },
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${response.text}`);
  return response.body;
}

/** A delivery row as the dispatcher would write it, with `attempts` rows of webhook_attempts. */
async function insertDelivery(
  endpointId: number,
  options: { status?: 'PENDING' | 'SUCCEEDED' | 'FAILED'; attempts?: number } = {},
): Promise<number> {
  const eventId = randomUUID();
  const attempts = options.attempts ?? 0;
  const payload = { specversion: '1.0', id: eventId, type: 'order.confirmed' };
  const db = system.database.db;
  await db.query(sql`
    INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts,
                                    next_attempt_at, created_at, updated_at)
    VALUES (${endpointId}, ${eventId}, 'order.confirmed', ${JSON.stringify(payload)},
            ${options.status ?? 'PENDING'}, ${attempts},
            ${options.status === 'PENDING' || options.status === undefined ? sql`NOW(3)` : null},
            NOW(3), NOW(3))
  `);
  const [row] = await db.query(sql`SELECT id FROM webhook_deliveries WHERE event_id = ${eventId}`);
  const deliveryId = Number(row.id);
  for (let number = 1; number <= attempts; number += 1) {
    const last = number === attempts;
    await db.query(sql`
      INSERT INTO webhook_attempts (delivery_id, attempt_number, attempted_at, response_status, duration_ms,
                                    error, response_excerpt)
      VALUES (${deliveryId}, ${number}, TIMESTAMP('2026-12-06 09:00:00.000') + INTERVAL ${number} SECOND,
              ${last ? 204 : null}, ${number * 10}, ${last ? null : 'timeout'}, ${last ? 'ok' : null})
    `);
  }
  return deliveryId;
}

describe('POST /webhook-endpoints', () => {
  it('when an operator registers an endpoint, then 201 with Location, the endpoint and a whsec_ secret shown once', async () => {
    const response = await api.post('/webhook-endpoints', {
      token,
      body: {
        url: PUBLIC_URL,
        event_types: ['order.confirmed', 'customer.deleted'],
        description: 'ERP sync',
      },
    });

    expect(response.status).toBe(201);
    const { id, created_at, secret } = response.body;
    expect(response.headers.get('location')).toBe(`/webhook-endpoints/${id}`);
    expect(response.body).toEqual({
      id: expect.any(Number),
      url: PUBLIC_URL,
      description: 'ERP sync',
      event_types: ['order.confirmed', 'customer.deleted'],
      enabled: true,
      disabled_reason: null,
      created_at: expect.stringMatching(ISO),
      updated_at: created_at,
      secret_rotated_at: null,
      previous_secret_expires_at: null,
      secret: expect.stringMatching(SECRET),
    });
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    // The secret is one standardwebhooks signs and verifies with.
    const webhook = new Webhook(secret);
    const signature = webhook.sign('msg_1', new Date(), '{"a":1}');
    expect(() =>
      webhook.verify('{"a":1}', {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': signature,
      }),
    ).not.toThrow();

    const fetched = await api.get(`/webhook-endpoints/${id}`, { token });
    expect(fetched.status).toBe(200);
    const { secret: _shownOnce, ...withoutSecret } = response.body;
    expect(fetched.body).toEqual(withoutSecret);
    expect(fetched.text).not.toContain(secret);
    const listed = await api.get('/webhook-endpoints?limit=100', { token });
    expect(listed.text).not.toContain(secret);
  });

  it('when two endpoints are registered, then each gets a different secret', async () => {
    const [first, second] = [await register(), await register()];
    expect(first.secret).not.toBe(second.secret);
  });

  it('when the body is invalid (no types, a duplicate or unknown type, a long description), then 400 VALIDATION_FAILED', async () => {
    for (const body of [
      { url: PUBLIC_URL, event_types: [] },
      { url: PUBLIC_URL, event_types: ['order.created', 'order.created'] },
      { url: PUBLIC_URL, event_types: ['order.shipped'] },
      { url: PUBLIC_URL, event_types: ['order.created'], description: 'x'.repeat(501) },
      { event_types: ['order.created'] },
    ]) {
      const response = await api.post('/webhook-endpoints', { token, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it.each([
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://169.254.169.254/latest/meta-data', 'metadata'],
    ['https://[::1]/hook', 'loopback'],
    ['http://example.com/hook', 'scheme'],
    ['https://internal.partner.example/hook', 'private'],
    ['https://mixed.partner.example/hook', 'private'],
    ['https://unknown.partner.example/hook', 'unresolvable'],
  ])('when the URL is %s, then 400 INVALID_WEBHOOK_URL naming the rule %s', async (url, rule) => {
    const response = await api.post('/webhook-endpoints', {
      token,
      body: { url, event_types: ['order.created'] },
    });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'INVALID_WEBHOOK_URL',
      status: 400,
      type: 'https://b2b-orders.example/problems/invalid-webhook-url',
      errors: [{ field: 'body.url', message: `refused: ${rule}` }],
    });
    expect(response.body.detail).toContain(`(rule ${rule})`);
  });

  it('when the host is in the allow-list, then http to a loopback port is accepted', async () => {
    const allowListed = await system.startOrdersApi({
      webhooks: { allowedHosts: ['127.0.0.1', 'localhost'], secretOverlapHours: 24, lookup },
    });
    const url = `${await closedPortUrl()}/hook`;

    const response = await allowListed.post('/webhook-endpoints', {
      token,
      body: { url, event_types: ['product.updated'] },
    });

    expect(response.status).toBe(201);
    expect(response.body.url).toBe(url);
    // Metadata stays refused even for an allow-listed host's API.
    const metadata = await allowListed.post('/webhook-endpoints', {
      token,
      body: { url: 'http://169.254.169.254/', event_types: ['product.updated'] },
    });
    expect(metadata.body.code).toBe('INVALID_WEBHOOK_URL');
  });
});

describe('credentials', () => {
  it('when any webhook operation is called without a token, then 401; with the service token, then 403', async () => {
    const endpoint = await register();
    const deliveryId = await insertDelivery(endpoint.id);
    const calls: Array<[string, string, unknown]> = [
      ['POST', '/webhook-endpoints', { url: PUBLIC_URL, event_types: ['order.created'] }],
      ['GET', '/webhook-endpoints', undefined],
      ['GET', `/webhook-endpoints/${endpoint.id}`, undefined],
      ['PATCH', `/webhook-endpoints/${endpoint.id}`, { enabled: false }],
      ['DELETE', `/webhook-endpoints/${endpoint.id}`, undefined],
      ['POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`, undefined],
      ['GET', `/webhook-endpoints/${endpoint.id}/deliveries`, undefined],
      ['POST', `/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}/retry`, undefined],
    ];
    for (const [method, path, body] of calls) {
      const send = (callToken?: string) =>
        api.request(method, path, { token: callToken, ...(body === undefined ? {} : { body }) });
      expect((await send()).status, `${method} ${path}`).toBe(401);
      expect((await send(TEST_AUTH.serviceToken)).status, `${method} ${path}`).toBe(403);
    }
    // Nothing was changed by the refused calls.
    expect((await api.get(`/webhook-endpoints/${endpoint.id}`, { token })).body).toMatchObject({
      enabled: true,
    });
  });
});

describe('GET /webhook-endpoints', () => {
  it('when endpoints are listed page by page, then newest first with signed cursors, deleted ones left out', async () => {
    const [a, b, c] = [await register(), await register(), await register()];
    expect((await api.delete(`/webhook-endpoints/${b.id}`, { token })).status).toBe(204);

    const first = await api.get('/webhook-endpoints?limit=1', { token });
    expect(first.status).toBe(200);
    expect(first.body.data.map((endpoint: { id: number }) => endpoint.id)).toEqual([c.id]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api.get(`/webhook-endpoints?limit=1&cursor=${first.body.next_cursor}`, { token });
    expect(second.body.data.map((endpoint: { id: number }) => endpoint.id)).toEqual([a.id]);
    expect(second.body.data[0]).not.toHaveProperty('secret');

    const all = await api.get('/webhook-endpoints?limit=100', { token });
    const ids = all.body.data.map((endpoint: { id: number }) => endpoint.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    expect(ids).not.toContain(b.id);
    expect(all.body.next_cursor).toBeNull();

    expectInvalidCursor(await api.get(`/webhook-endpoints?cursor=${first.body.next_cursor}x`, { token }));
    // A cursor made by hand is refused.
    expectInvalidCursor(await api.get('/webhook-endpoints?cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAA', { token }));
  });
});

describe('GET and PATCH /webhook-endpoints/{id}', () => {
  it('when an endpoint does not exist, then 404 WEBHOOK_ENDPOINT_NOT_FOUND on every operation', async () => {
    for (const [method, path, body] of [
      ['GET', '/webhook-endpoints/999999999', undefined],
      ['PATCH', '/webhook-endpoints/999999999', { enabled: true }],
      ['DELETE', '/webhook-endpoints/999999999', undefined],
      ['POST', '/webhook-endpoints/999999999/rotate-secret', undefined],
      ['GET', '/webhook-endpoints/999999999/deliveries', undefined],
      ['POST', '/webhook-endpoints/999999999/deliveries/1/retry', undefined],
    ] as const) {
      const response = await api.request(method, path, { token, ...(body ? { body } : {}) });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body).toMatchObject({
        code: 'WEBHOOK_ENDPOINT_NOT_FOUND',
        detail: 'Webhook endpoint 999999999 does not exist.',
      });
    }
  });

  it('when an operator changes the url, types, description and enabled, then 200 with the endpoint as stored', async () => {
    const endpoint = await register({ description: 'before' });

    const response = await api.patch(`/webhook-endpoints/${endpoint.id}`, {
      token,
      body: {
        url: 'https://hooks.partner.example/v2',
        event_types: ['product.created', 'product.updated'],
        description: null,
        enabled: false,
      },
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: endpoint.id,
      url: 'https://hooks.partner.example/v2',
      description: null,
      event_types: ['product.created', 'product.updated'],
      enabled: false,
      disabled_reason: null,
      created_at: endpoint.created_at,
      updated_at: expect.stringMatching(ISO),
      secret_rotated_at: null,
      previous_secret_expires_at: null,
    });
    expect((await api.get(`/webhook-endpoints/${endpoint.id}`, { token })).body).toEqual(response.body);
    // The secret did not change.
    const [row] = await system.database.db.query(
      sql`SELECT secret FROM webhook_endpoints WHERE id = ${endpoint.id}`,
    );
    expect(row.secret).toBe(endpoint.secret);
  });

  it('when a disabled endpoint is enabled again, then its disabled_reason is cleared', async () => {
    const endpoint = await register();
    await system.database.db.query(sql`
      UPDATE webhook_endpoints SET enabled = 0, disabled_reason = 'answered 410 Gone' WHERE id = ${endpoint.id}
    `);
    expect((await api.get(`/webhook-endpoints/${endpoint.id}`, { token })).body).toMatchObject({
      enabled: false,
      disabled_reason: 'answered 410 Gone',
    });

    const response = await api.patch(`/webhook-endpoints/${endpoint.id}`, { token, body: { enabled: true } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('when the new url breaks a rule, then 400 INVALID_WEBHOOK_URL and nothing changes', async () => {
    const endpoint = await register();

    const response = await api.patch(`/webhook-endpoints/${endpoint.id}`, {
      token,
      body: { url: 'https://internal.partner.example/hook', description: 'changed' },
    });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      code: 'INVALID_WEBHOOK_URL',
      errors: [{ message: 'refused: private' }],
    });
    const { secret: _secret, ...unchanged } = endpoint;
    expect((await api.get(`/webhook-endpoints/${endpoint.id}`, { token })).body).toEqual(unchanged);
  });

  it('when the body is empty or has an unknown property, then 400 VALIDATION_FAILED', async () => {
    const endpoint = await register();
    for (const body of [{}, { secret: 'whsec_x' }]) {
      const response = await api.patch(`/webhook-endpoints/${endpoint.id}`, { token, body });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('DELETE /webhook-endpoints/{id}', () => {
  it('when an endpoint is deleted, then 204, it is gone (404) and only its PENDING deliveries are dropped', async () => {
    const endpoint = await register();
    const pending = await insertDelivery(endpoint.id, { status: 'PENDING', attempts: 1 });
    const succeeded = await insertDelivery(endpoint.id, { status: 'SUCCEEDED', attempts: 1 });

    const response = await api.delete(`/webhook-endpoints/${endpoint.id}`, { token });

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await api.get(`/webhook-endpoints/${endpoint.id}`, { token })).status).toBe(404);
    expect((await api.delete(`/webhook-endpoints/${endpoint.id}`, { token })).status).toBe(404);
    const rows = await system.database.db.query(
      sql`SELECT id FROM webhook_deliveries WHERE endpoint_id = ${endpoint.id} ORDER BY id`,
    );
    expect(rows.map((row: { id: unknown }) => Number(row.id))).toEqual([succeeded]);
    const attempts = await system.database.db.query(
      sql`SELECT COUNT(*) AS count FROM webhook_attempts WHERE delivery_id = ${pending}`,
    );
    expect(Number(attempts[0].count)).toBe(0);
    const [stored] = await system.database.db.query(
      sql`SELECT deleted_at FROM webhook_endpoints WHERE id = ${endpoint.id}`,
    );
    expect(stored.deleted_at).toBeInstanceOf(Date);
  });
});

describe('POST /webhook-endpoints/{id}/rotate-secret', () => {
  it('when the secret is rotated, then 200 with a new secret and the previous one kept for 24 hours', async () => {
    const endpoint = await register();

    const response = await api.post(`/webhook-endpoints/${endpoint.id}/rotate-secret`, { token });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      secret: expect.stringMatching(SECRET),
      previous_secret_expires_at: expect.stringMatching(ISO),
    });
    expect(response.body.secret).not.toBe(endpoint.secret);
    const [row] = await system.database.db.query(sql`
      SELECT secret, previous_secret, secret_rotated_at,
             TIMESTAMPDIFF(SECOND, secret_rotated_at, previous_secret_expires_at) AS overlap_seconds
      FROM webhook_endpoints WHERE id = ${endpoint.id}
    `);
    expect(row).toMatchObject({ secret: response.body.secret, previous_secret: endpoint.secret });
    expect(Number(row.overlap_seconds)).toBe(24 * 3600);

    const fetched = await api.get(`/webhook-endpoints/${endpoint.id}`, { token });
    expect(fetched.body).toMatchObject({
      secret_rotated_at: row.secret_rotated_at.toISOString(),
      previous_secret_expires_at: response.body.previous_secret_expires_at,
    });
    expect(fetched.text).not.toContain(response.body.secret);
    expect(fetched.text).not.toContain(endpoint.secret);

    // A second rotation: the secret of the first rotation becomes the previous one.
    const again = await api.post(`/webhook-endpoints/${endpoint.id}/rotate-secret`, { token });
    const [after] = await system.database.db.query(
      sql`SELECT secret, previous_secret FROM webhook_endpoints WHERE id = ${endpoint.id}`,
    );
    expect(after).toEqual({ secret: again.body.secret, previous_secret: response.body.secret });
  });
});

describe('deliveries', () => {
  it('when an endpoint has deliveries, then they are listed newest first with every attempt, oldest first', async () => {
    const endpoint = await register();
    const older = await insertDelivery(endpoint.id, { status: 'SUCCEEDED', attempts: 2 });
    const newer = await insertDelivery(endpoint.id, { status: 'PENDING', attempts: 0 });
    const other = await register();
    await insertDelivery(other.id);

    const first = await api.get(`/webhook-endpoints/${endpoint.id}/deliveries?limit=1`, { token });

    expect(first.status).toBe(200);
    expect(first.body.data).toEqual([
      {
        id: newer,
        endpoint_id: endpoint.id,
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        event_type: 'order.confirmed',
        status: 'PENDING',
        attempts: 0,
        next_attempt_at: expect.stringMatching(ISO),
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
        last_attempt: null,
        attempt_log: [],
      },
    ]);
    const second = await api.get(
      `/webhook-endpoints/${endpoint.id}/deliveries?limit=1&cursor=${first.body.next_cursor}`,
      { token },
    );
    const failedAttempt = {
      at: '2026-12-06T09:00:01.000Z',
      response_status: null,
      duration_ms: 10,
      error: 'timeout',
      response_excerpt: null,
    };
    const succeededAttempt = {
      at: '2026-12-06T09:00:02.000Z',
      response_status: 204,
      duration_ms: 20,
      error: null,
      response_excerpt: 'ok',
    };
    expect(second.body).toEqual({
      data: [
        expect.objectContaining({
          id: older,
          status: 'SUCCEEDED',
          attempts: 2,
          next_attempt_at: null,
          last_attempt: succeededAttempt,
          attempt_log: [failedAttempt, succeededAttempt],
        }),
      ],
      next_cursor: null,
    });
    // A cursor of one endpoint's deliveries is refused for another's.
    expectInvalidCursor(
      await api.get(`/webhook-endpoints/${other.id}/deliveries?cursor=${first.body.next_cursor}`, { token }),
    );
  });

  it('when a delivery that failed for good is retried, then 202 and it is PENDING, due now and unlocked', async () => {
    const endpoint = await register();
    const deliveryId = await insertDelivery(endpoint.id, { status: 'FAILED', attempts: 2 });
    await system.database.db.query(sql`
      UPDATE webhook_deliveries SET locked_until = NOW(3) + INTERVAL 1 HOUR WHERE id = ${deliveryId}
    `);

    const response = await api.post(`/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}/retry`, {
      token,
    });

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({
      id: deliveryId,
      endpoint_id: endpoint.id,
      status: 'PENDING',
      attempts: 2,
      next_attempt_at: expect.stringMatching(ISO),
    });
    expect(response.body.attempt_log).toHaveLength(2);
    const [row] = await system.database.db.query(sql`
      SELECT status, locked_until, next_attempt_at <= NOW(3) AS due FROM webhook_deliveries WHERE id = ${deliveryId}
    `);
    expect(row).toMatchObject({ status: 'PENDING', locked_until: null });
    expect(Number(row.due)).toBe(1);
  });

  it('when a succeeded delivery is retried, then 202 too: a new attempt is scheduled', async () => {
    const endpoint = await register();
    const deliveryId = await insertDelivery(endpoint.id, { status: 'SUCCEEDED', attempts: 1 });

    const response = await api.post(`/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}/retry`, {
      token,
    });

    expect(response.status).toBe(202);
    expect(response.body.status).toBe('PENDING');
  });

  it('when the delivery does not exist or belongs to another endpoint, then 404 WEBHOOK_DELIVERY_NOT_FOUND', async () => {
    const endpoint = await register();
    const other = await register();
    const othersDelivery = await insertDelivery(other.id, { status: 'FAILED', attempts: 1 });

    for (const deliveryId of [999999999, othersDelivery]) {
      const response = await api.post(`/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}/retry`, {
        token,
      });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({
        code: 'WEBHOOK_DELIVERY_NOT_FOUND',
        detail: `Webhook endpoint ${endpoint.id} has no delivery ${deliveryId}.`,
      });
    }
    const [row] = await system.database.db.query(
      sql`SELECT status FROM webhook_deliveries WHERE id = ${othersDelivery}`,
    );
    expect(row.status).toBe('FAILED');
  });
});

describe('webhook configuration', () => {
  const PRODUCTION = {
    NODE_ENV: 'production',
    JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
    SERVICE_TOKEN: 'a-production-service-token',
    CURSOR_SECRET: 'a-production-cursor-secret-of-32-characters',
    DATABASE_URL: 'mysql://app@db.internal:3306/b2b_orders',
  };

  it('when nothing is set, then development allows loopback hosts and production none, with the documented defaults', () => {
    const defaults = {
      secretOverlapHours: 24,
      timeoutMs: 10_000,
      retryScheduleSeconds: [0, 5, 300, 1800, 7200, 18000, 36000, 36000],
      deliveryRetentionDays: 30,
      customersStream: { stream: 'B2B_CUSTOMERS', subjectPrefix: 'b2b.customers' },
    };
    expect(readOrdersApiConfig({}).webhooks).toEqual({
      allowedHosts: ['127.0.0.1', 'localhost'],
      ...defaults,
    });
    expect(readOrdersApiConfig({ NODE_ENV: 'test' }).webhooks.allowedHosts).toEqual([
      '127.0.0.1',
      'localhost',
    ]);
    expect(readOrdersApiConfig(PRODUCTION).webhooks).toEqual({ allowedHosts: [], ...defaults });
  });

  it('when the webhook variables are set, then they are used', () => {
    const config = readOrdersApiConfig({
      WEBHOOK_ALLOWED_HOSTS: ' receiver.local , 10.0.0.5 ',
      WEBHOOK_SECRET_OVERLAP_HOURS: '2',
      WEBHOOK_TIMEOUT_MS: '500',
      WEBHOOK_RETRY_SCHEDULE: '0, 1, 2',
      WEBHOOK_DELIVERY_RETENTION_DAYS: '7',
      CUSTOMERS_EVENTS_STREAM: 'PARTNER_CUSTOMERS',
      CUSTOMERS_EVENTS_SUBJECT_PREFIX: 'partner.customers',
    });
    expect(config.webhooks).toEqual({
      allowedHosts: ['receiver.local', '10.0.0.5'],
      secretOverlapHours: 2,
      timeoutMs: 500,
      retryScheduleSeconds: [0, 1, 2],
      deliveryRetentionDays: 7,
      customersStream: { stream: 'PARTNER_CUSTOMERS', subjectPrefix: 'partner.customers' },
    });
    // Empty is unset, as for every variable: Compose passes an empty value in production.
    expect(readOrdersApiConfig({ ...PRODUCTION, WEBHOOK_ALLOWED_HOSTS: '' }).webhooks.allowedHosts).toEqual(
      [],
    );
  });

  it('when the retry schedule is not whole seconds, then the configuration is refused naming it', () => {
    for (const schedule of ['0,5,x', '1.5', '-1', '0,,5']) {
      expect(() => readOrdersApiConfig({ WEBHOOK_RETRY_SCHEDULE: schedule }), schedule).toThrow(ConfigError);
      try {
        readOrdersApiConfig({ WEBHOOK_RETRY_SCHEDULE: schedule });
      } catch (error) {
        expect((error as ConfigError).problems.join('\n')).toContain('WEBHOOK_RETRY_SCHEDULE');
      }
    }
  });
});
