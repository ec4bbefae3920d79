import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { validateEvent } from '@b2b/contracts/events';
import {
  createLogger,
  listen,
  OUTBOX_COLUMNS,
  sql,
  toEnvelope,
  type EventEnvelope,
  type OutboxRow,
} from '@b2b/service-kit';
import {
  createTestDatabase,
  freePort,
  httpClient,
  operatorToken,
  pollUntil,
  scrapeMetrics,
  seriesKey,
  TEST_AUTH,
  TEST_CURSOR_SECRET,
  type HttpClient,
  type TestDatabase,
  type TestResponse,
  useOutbox,
} from '@b2b/service-kit/testing';
import { createCustomersApp, type CustomersAppOptions } from '../src/app';
import { CUSTOMERS_OUTBOX } from '../src/events';
import { createCustomersMetrics } from '../src/metrics';
import { buildCustomer, CHEAP_SCRYPT_COST, UNKNOWN_CUSTOMER_ID } from './helpers';

/**
 * Events out, Customers API side: customer.created / updated / deleted written with the change
 * in one transaction (none for a refused or rolled-back change, none under EVENTS=off), the GET
 * /events feed, and what /health and /metrics say of the relay. docs/events.md.
 */

const SHARED_NATS_URL = 'nats://127.0.0.1:4222';
const silentLogger = createLogger({ service: 'customers-api-test', level: 'silent' });

let database: TestDatabase;
let token: string;
let api: HttpClient;
const servers: Array<{ close(): Promise<void> }> = [];

/** A Customers API over the test database, validating its responses. */
async function startApi(options: Partial<CustomersAppOptions> = {}): Promise<HttpClient> {
  const server = await listen(
    createCustomersApp({
      db: database.db,
      auth: TEST_AUTH,
      logger: silentLogger,
      validateResponses: true,
      passwordCost: CHEAP_SCRYPT_COST,
      cursorSecret: TEST_CURSOR_SECRET,
      ...options,
    }),
  );
  servers.push(server);
  return httpClient(server.url);
}

beforeAll(async () => {
  database = await createTestDatabase();
  token = await operatorToken();
  api = await startApi();
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await database?.drop();
});

const { startRelay, stopRelays, drain, withEvents, expectNoEvent, expectEvent } = useOutbox(
  () => database.db,
  CUSTOMERS_OUTBOX,
);

function expectProblem(response: TestResponse, status: number, code?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (code) expect(response.body.code).toBe(code);
}

let counter = 0;
const corr = () => `corr-${Date.now().toString(36)}-${(counter++).toString(36)}`;

async function getCustomer(id: number) {
  const response = await api.get(`/customers/${id}`, { token });
  expect(response.status).toBe(200);
  return response.body;
}

async function createCustomer(overrides: Record<string, unknown> = {}) {
  const response = await api.post('/customers', { token, body: buildCustomer(overrides) });
  expect(response.status).toBe(201);
  return response.body;
}

/** The customer's row as the database holds it (also once deleted), in the API's representation. */
async function customerRow(id: number) {
  const [row] = (await database.db.query(
    sql`SELECT id, name, email, phone, created_at, updated_at, deleted_at, version FROM customers WHERE id = ${id}`,
  )) as Array<{
    id: string | number;
    name: string;
    email: string;
    phone: string | null;
    created_at: Date;
    updated_at: Date;
    deleted_at: Date | null;
    version: number;
  }>;
  if (!row) return undefined;
  return {
    customer: {
      id: Number(row.id),
      name: row.name,
      email: row.email,
      phone: row.phone,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
    },
    deletedAt: row.deleted_at?.toISOString() ?? null,
    version: Number(row.version),
  };
}

describe('events of customer changes', () => {
  it('when a customer is created, replaced and deleted, then customer.created, customer.updated and customer.deleted (sequences 1, 2, 3) carry the customer after each change', async () => {
    const createdCorrelation = corr();
    const { result: created, events: createdEvents } = await withEvents(() =>
      api.post('/customers', {
        token,
        headers: { 'X-Correlation-Id': createdCorrelation },
        body: buildCustomer({ phone: '+44 20 7946 0000' }),
      }),
    );
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect(await getCustomer(id)).toEqual(created.body);
    expect(createdEvents).toHaveLength(1);
    expectEvent(createdEvents[0], {
      type: 'customer.created',
      subject: `customers/${id}`,
      subjectsequence: 1,
      correlationid: createdCorrelation,
      data: created.body,
    });

    const updatedCorrelation = corr();
    const { result: updated, events: updatedEvents } = await withEvents(() =>
      api.put(`/customers/${id}`, {
        token,
        headers: { 'X-Correlation-Id': updatedCorrelation },
        // An omitted phone becomes null.
        body: { name: 'Renamed Ltd', email: created.body.email },
      }),
    );
    expect(updated.status).toBe(200);
    const replaced = await getCustomer(id);
    expect(replaced).toEqual(updated.body);
    expect(replaced).toMatchObject({ name: 'Renamed Ltd', phone: null });
    expect(updatedEvents).toHaveLength(1);
    expectEvent(updatedEvents[0], {
      type: 'customer.updated',
      subject: `customers/${id}`,
      subjectsequence: 2,
      correlationid: updatedCorrelation,
      data: replaced,
    });

    const deletedCorrelation = corr();
    const { result: deleted, events: deletedEvents } = await withEvents(() =>
      api.delete(`/customers/${id}`, { token, headers: { 'X-Correlation-Id': deletedCorrelation } }),
    );
    expect(deleted.status).toBe(204);
    expect((await api.get(`/customers/${id}`, { token })).status).toBe(404);
    const row = await customerRow(id);
    // The customer as it was when deleted: as GET answered before, stamped with the deletion.
    expect(row!.deletedAt).toBe(row!.customer.updated_at);
    expect(row!.customer).toEqual({ ...replaced, updated_at: row!.deletedAt });
    expect(deletedEvents).toHaveLength(1);
    expectEvent(deletedEvents[0], {
      type: 'customer.deleted',
      subject: `customers/${id}`,
      subjectsequence: 3,
      correlationid: deletedCorrelation,
      data: row!.customer,
    });
  });

  it('when a change is refused (404, 400, 409 taken email), then no event is written', async () => {
    const customer = await createCustomer();
    const deleted = await createCustomer();
    expect((await api.delete(`/customers/${deleted.id}`, { token })).status).toBe(204);

    expectProblem(
      await expectNoEvent(() =>
        api.put(`/customers/${UNKNOWN_CUSTOMER_ID}`, { token, body: buildCustomer() }),
      ),
      404,
      'CUSTOMER_NOT_FOUND',
    );
    expectProblem(
      await expectNoEvent(() => api.put(`/customers/${deleted.id}`, { token, body: buildCustomer() })),
      404,
      'CUSTOMER_NOT_FOUND',
    );
    expectProblem(
      await expectNoEvent(() => api.delete(`/customers/${deleted.id}`, { token })),
      404,
      'CUSTOMER_NOT_FOUND',
    );
    expectProblem(
      await expectNoEvent(() => api.delete(`/customers/${UNKNOWN_CUSTOMER_ID}`, { token })),
      404,
      'CUSTOMER_NOT_FOUND',
    );
    expectProblem(
      await expectNoEvent(() => api.post('/customers', { token, body: { name: '', email: 'not-an-email' } })),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await expectNoEvent(() => api.put(`/customers/${customer.id}`, { token, body: { name: 'No email' } })),
      400,
      'VALIDATION_FAILED',
    );
    const other = await createCustomer();
    expectProblem(
      await expectNoEvent(() =>
        api.post('/customers', { token, body: buildCustomer({ email: customer.email.toUpperCase() }) }),
      ),
      409,
    );
    expectProblem(
      await expectNoEvent(() =>
        api.put(`/customers/${other.id}`, { token, body: { name: other.name, email: customer.email } }),
      ),
      409,
    );
    expect(await getCustomer(customer.id)).toEqual(customer);
    expect(await getCustomer(other.id)).toEqual(other);
  });

  it('when writing its event fails after the write, then the request fails and neither the change nor any event exists', async () => {
    const marker = corr();
    const customer = await createCustomer();
    const before = await customerRow(customer.id);
    const trigger = `fail_events_${randomBytes(4).toString('hex')}`;
    const connection = await mysql.createConnection({ uri: database.url });
    try {
      await connection.query(
        `CREATE TRIGGER ${trigger} BEFORE INSERT ON customers_outbox FOR EACH ROW
         BEGIN
           IF NEW.correlation_id = ${connection.escape(marker)} THEN
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'forced failure of the event insert';
           END IF;
         END`,
      );
      const headers = { 'X-Correlation-Id': marker };
      const body = buildCustomer();

      const created = await expectNoEvent(() => api.post('/customers', { token, headers, body }));
      expect(created.status).toBeGreaterThanOrEqual(500);
      expectProblem(created, created.status);
      const [found] = (await database.db.query(
        sql`SELECT COUNT(*) AS count FROM customers WHERE email = ${body.email}`,
      )) as Array<{ count: string | number }>;
      expect(Number(found!.count)).toBe(0);

      const replaced = await expectNoEvent(() =>
        api.put(`/customers/${customer.id}`, {
          token,
          headers,
          body: { name: 'Never', email: customer.email },
        }),
      );
      expect(replaced.status).toBeGreaterThanOrEqual(500);
      expect(await customerRow(customer.id)).toEqual(before);

      const deleted = await expectNoEvent(() => api.delete(`/customers/${customer.id}`, { token, headers }));
      expect(deleted.status).toBeGreaterThanOrEqual(500);
      expect(await customerRow(customer.id)).toEqual(before);
      expect(await getCustomer(customer.id)).toEqual(customer);

      // Without the failure, the next change's sequence follows the last event's: no gap.
      const { events } = await withEvents(() =>
        api.put(`/customers/${customer.id}`, { token, body: { name: 'Now', email: customer.email } }),
      );
      expect(events.map((event) => [event.type, event.subject, event.subjectsequence])).toEqual([
        ['customer.updated', `customers/${customer.id}`, 2],
      ]);
    } finally {
      await connection.query(`DROP TRIGGER IF EXISTS ${trigger}`);
      await connection.end();
    }
  });

  it('when the app is created with events off, then its changes write no outbox rows', async () => {
    const quiet = await startApi({ events: 'off' });
    await expectNoEvent(async () => {
      const created = await quiet.post('/customers', { token, body: buildCustomer() });
      expect(created.status).toBe(201);
      const replaced = await quiet.put(`/customers/${created.body.id}`, { token, body: buildCustomer() });
      expect(replaced.status).toBe(200);
      expect((await quiet.delete(`/customers/${created.body.id}`, { token })).status).toBe(204);
    });
  });
});

describe('GET /events', () => {
  async function feedFromTable(type?: string): Promise<EventEnvelope[]> {
    const ofType = type === undefined ? sql`` : sql`AND type = ${type}`;
    const rows = (await database.db.query(sql`
      SELECT ${OUTBOX_COLUMNS} FROM customers_outbox WHERE feed_position IS NOT NULL ${ofType} ORDER BY feed_position
    `)) as OutboxRow[];
    return rows.map((row) => toEnvelope(CUSTOMERS_OUTBOX, row));
  }

  async function readFeed(client: HttpClient, query: { type?: string; limit: number }) {
    const events: EventEnvelope[] = [];
    let after: string | undefined;
    for (;;) {
      const params = new URLSearchParams({ limit: String(query.limit) });
      if (query.type) params.set('type', query.type);
      if (after !== undefined) params.set('after', after);
      const page = await client.get(`/events?${params}`, { token });
      expect(page.status).toBe(200);
      expect(page.body.next_cursor).toEqual(expect.any(String));
      if (page.body.data.length === 0) {
        if (after !== undefined) expect(page.body.next_cursor).toBe(after);
        return { events, cursor: page.body.next_cursor as string };
      }
      events.push(...page.body.data);
      after = page.body.next_cursor;
    }
  }

  it('when it is paged, then every numbered event comes once in feed order; type filters; an empty page cursor later gives the new events', async () => {
    for (let index = 0; index < 3; index += 1) {
      const customer = await createCustomer();
      await api.delete(`/customers/${customer.id}`, { token });
    }
    const relay = startRelay();
    await drain(relay);

    const expected = await feedFromTable();
    expect(expected.length).toBeGreaterThan(6);
    const { events, cursor } = await readFeed(api, { limit: 4 });
    expect(events).toEqual(expected);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    for (const event of events) expect(validateEvent(event)).toEqual({ valid: true });

    const deletions = await readFeed(api, { type: 'customer.deleted', limit: 2 });
    expect(deletions.events).toEqual(await feedFromTable('customer.deleted'));
    expect(deletions.events.length).toBeGreaterThanOrEqual(3);

    const correlationId = corr();
    const late = await api.post('/customers', {
      token,
      headers: { 'X-Correlation-Id': correlationId },
      body: buildCustomer(),
    });
    expect((await api.get(`/events?after=${cursor}`, { token })).body).toEqual({
      data: [],
      next_cursor: cursor,
    });
    expect(await relay.runOnce()).toBe(1);
    const next = await api.get(`/events?after=${cursor}`, { token });
    expect(next.body.data).toHaveLength(1);
    expectEvent(next.body.data[0], {
      type: 'customer.created',
      subject: `customers/${late.body.id}`,
      subjectsequence: 1,
      correlationid: correlationId,
      data: late.body,
    });
  });

  it('when a cursor is used with another type, edited, or the type is not a customer event, then 400', async () => {
    await drain(startRelay());
    const plain = (await api.get('/events?limit=1', { token })).body.next_cursor as string;
    const edited = `${plain.slice(0, 3)}${plain[3] === 'A' ? 'B' : 'A'}${plain.slice(4)}`;
    for (const path of [`/events?after=${plain}&type=customer.created`, `/events?after=${edited}`]) {
      const response = await api.get(path, { token });
      expectProblem(response, 400, 'INVALID_CURSOR');
      expect(response.body.errors).toEqual([{ field: 'query.after', message: 'is not a valid cursor' }]);
    }
    expectProblem(await api.get('/events?type=order.created', { token }), 400, 'VALIDATION_FAILED');
  });

  it('when it is asked without a token, then 401; the service token and a restarted app with the same cursor secret are served', async () => {
    await drain(startRelay());
    expectProblem(await api.get('/events'), 401);
    const first = await api.get('/events?limit=2', { token: TEST_AUTH.serviceToken });
    expect(first.status).toBe(200);
    expect(first.body).toEqual((await api.get('/events?limit=2', { token })).body);
    const restarted = await startApi();
    const onFirst = await api.get(`/events?limit=2&after=${first.body.next_cursor}`, { token });
    const onRestarted = await restarted.get(`/events?limit=2&after=${first.body.next_cursor}`, { token });
    expect(onRestarted.status).toBe(200);
    expect(onRestarted.body).toEqual(onFirst.body);
    expect(onRestarted.body.data).toHaveLength(2);
  });
});

describe('/health and /metrics of the relay', () => {
  it('when the relay is off, then events off; when the broker is unreachable, then 200 ok, events degraded and the age of the oldest waiting event', async () => {
    const off = startRelay();
    await drain(off);
    const offApi = await startApi({ eventRelay: off });
    expect((await offApi.get('/health')).body).toEqual({
      status: 'ok',
      checks: { database: 'up', events: 'off' },
      events: { broker: 'off', oldest_unpublished_seconds: null },
    });

    const suffix = randomBytes(4).toString('hex');
    const unreachable = startRelay({
      broker: {
        url: `nats://127.0.0.1:${await freePort()}`,
        stream: `TEST_UNREACHABLE_${suffix}`,
        subjectPrefix: `test.unreachable.${suffix}`,
      },
    });
    const degradedApi = await startApi({ eventRelay: unreachable });
    await createCustomer();
    const health = await pollUntil(
      'an unpublished event reported by /health',
      async () => {
        await unreachable.runOnce();
        const response = await degradedApi.get('/health');
        return typeof response.body?.events?.oldest_unpublished_seconds === 'number' ? response : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      checks: { database: 'up', events: 'degraded' },
      events: { broker: 'unreachable', oldest_unpublished_seconds: expect.any(Number) },
    });
    expect(health.body.events.oldest_unpublished_seconds).toBeGreaterThanOrEqual(0);
  });

  it('when a relay publishes to JetStream, then /metrics counts exactly the events published', async () => {
    const suffix = randomBytes(4).toString('hex');
    const broker = {
      url: SHARED_NATS_URL,
      stream: `TEST_CUSTOMER_EVENTS_${suffix}`,
      subjectPrefix: `test.customer-events.${suffix}`,
    };
    const metrics = createCustomersMetrics();
    const metricsApi = await startApi({ metrics });
    const connection = await connect({ servers: SHARED_NATS_URL });
    try {
      await createCustomer();
      const relay = startRelay({ broker, registry: metrics.registry });
      const [unpublished] = (await database.db.query(
        sql`SELECT COUNT(*) AS count FROM customers_outbox WHERE published_at IS NULL`,
      )) as Array<{ count: string | number }>;
      const expectedCount = Number(unpublished!.count);
      expect(expectedCount).toBeGreaterThan(0);
      await pollUntil(
        'the relay connected to NATS',
        async () => relay.state().broker === 'connected' || undefined,
        {
          timeoutMs: 10_000,
        },
      );

      expect(await drain(relay)).toBe(expectedCount);
      const samples = await scrapeMetrics(metricsApi);
      expect(samples.get(seriesKey('outbox_events_published_total', { outbox: 'customers_outbox' }))).toBe(
        expectedCount,
      );
      expect(samples.get(seriesKey('outbox_publish_failures_total', { outbox: 'customers_outbox' }))).toBe(0);
      const manager = await jetstreamManager(connection);
      expect((await manager.streams.info(broker.stream)).state.messages).toBe(expectedCount);
    } finally {
      await stopRelays();
      const manager = await jetstreamManager(connection);
      await manager.streams.delete(broker.stream).catch(() => undefined);
      await connection.close();
    }
  });
});
