import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry, sql, type Registry } from '@b2b/service-kit';
import {
  natsServerBinary,
  NO_NATS_SERVER,
  parsePrometheusText,
  pollUntil,
  seriesKey,
  startNatsServer,
  type HttpClient,
  type NatsServer,
} from '@b2b/service-kit/testing';
import {
  inParallel,
  silentLogger,
  startEventsSystem,
  type EventsSystem,
} from '../../test/events/support/harness';
import { leaseDueDeliveries } from '../src/webhooks/delivery-repository';
import { startWebhookDispatcher, type WebhookDispatcher } from '../src/webhooks/dispatcher';
import type { LookupFunction } from '../src/webhooks/url-policy';

/**
 * The webhook dispatcher (orders-api/src/webhooks/dispatcher.ts) end to end: the Orders API
 * in-process writes events, a relay publishes them to a stream of this file's private NATS
 * server, the dispatcher fans them out into deliveries (real MariaDB) and POSTs them to HTTP
 * receivers this file starts on loopback ports (allow-listed), which verify the Standard
 * Webhooks signatures. No fixed sleeps: every wait is a pollUntil on what the receiver or the
 * database says.
 */
const hasBinary = natsServerBinary() !== undefined;
if (!hasBinary) console.warn(`webhook-dispatcher.test.ts skipped: ${NO_NATS_SERVER}`);

interface ReceivedRequest {
  id: string;
  timestamp: number;
  signatures: string[];
  body: string;
  status: number;
}

/** An HTTP receiver on a loopback port: answers as `answer` says for each request, after verifying it with `secrets`. */
class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  port = 0;
  constructor(
    private secrets: string[],
    private answer: (id: string, nth: number) => number = () => 204,
  ) {}

  get url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests for `id` so far. */
  count(id: string): number {
    return this.requests.filter((request) => request.id === id).length;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = {
      'webhook-id': String(request.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
    };
    let status: number;
    const verified = this.secrets.some((secret) => {
      try {
        new Webhook(secret).verify(body, headers);
        return true;
      } catch {
        return false;
      }
    });
    if (!verified) status = 400;
    else status = this.answer(headers['webhook-id'], this.count(headers['webhook-id']) + 1);
    this.requests.push({
      id: headers['webhook-id'],
      timestamp: Number(headers['webhook-timestamp']),
      signatures: headers['webhook-signature'].split(' '),
      body,
      status,
    });
    response
      .writeHead(status, { 'content-type': 'text/plain' })
      .end(status < 300 ? 'ok' : `answer ${status}`);
  }
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

describe.skipIf(!hasBinary)('the webhook dispatcher (real NATS, MariaDB and HTTP receivers)', () => {
  let nats: NatsServer;
  let system: EventsSystem;
  let api: HttpClient;
  let customerId: number;
  let productId: number;
  const dispatchers: WebhookDispatcher[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    system = await startEventsSystem(nats);
    ({ api } = await system.startOrdersApi());
    system.startRelay({ idleMs: 20 });
    customerId = await system.createCustomer();
    productId = await system.createProduct(api, 100_000);
  });

  afterEach(async () => {
    for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
    for (const receiver of receivers.splice(0)) await receiver.stop();
    // The next test's endpoints are the only live ones.
    await system.database.db.query(sql`UPDATE webhook_endpoints SET enabled = 0`);
    await system.database.db.query(
      sql`UPDATE webhook_deliveries SET status = 'FAILED' WHERE status = 'PENDING'`,
    );
  });

  afterAll(async () => {
    for (const dispatcher of dispatchers.splice(0)) await dispatcher.stop();
    await system?.stop();
    await nats?.destroy();
  });

  function startDispatcher(
    options: { schedule?: number[]; lookup?: LookupFunction; now?: () => number; registry?: Registry } = {},
  ) {
    const registry = options.registry ?? createMetricsRegistry();
    const dispatcher = startWebhookDispatcher({
      db: system.database.db,
      logger: process.env.WEBHOOK_TEST_LOG
        ? createLogger({ service: 'webhook-test', level: 'debug' })
        : silentLogger,
      registry,
      broker: {
        url: nats.url,
        streams: [{ stream: system.broker.stream, subjectPrefix: system.broker.subjectPrefix }],
      },
      policy: { allowedHosts: ['127.0.0.1'], lookup: options.lookup },
      timeoutMs: 2_000,
      retryScheduleSeconds: options.schedule ?? [0, 1, 2],
      retentionDays: 30,
      idleMs: 20,
      now: options.now,
    });
    dispatchers.push(dispatcher);
    return { dispatcher, registry };
  }

  async function startReceiver(
    secrets: string[],
    answer?: (id: string, nth: number) => number,
    port?: number,
  ) {
    const receiver = new Receiver(secrets, answer);
    receivers.push(receiver);
    return receiver.start(port);
  }

  async function createEndpoint(
    url: string,
    eventTypes: string[],
    secrets: { secret: string; previous?: string } = { secret: newSecret() },
  ): Promise<number> {
    const result = (await system.database.db.query(sql`
      INSERT INTO webhook_endpoints (url, event_types, enabled, secret, previous_secret, previous_secret_expires_at, secret_rotated_at)
      VALUES (${url}, ${JSON.stringify(eventTypes)}, 1, ${secrets.secret}, ${secrets.previous ?? null},
        ${secrets.previous ? sql`NOW(3) + INTERVAL 1 HOUR` : sql`NULL`}, ${secrets.previous ? sql`NOW(3)` : sql`NULL`})
    `)) as unknown as { insertId: number | string };
    return Number(result.insertId);
  }

  async function placeOrder(confirm: boolean): Promise<number> {
    const created = await api.post('/orders', {
      token: system.token,
      headers: { 'X-Idempotency-Key': randomUUID() },
      body: { customer_id: customerId, items: [{ product_id: productId, qty: 1 }] },
    });
    if (created.status !== 201) throw new Error(`POST /orders: ${created.status} ${created.text}`);
    const id = Number(created.body.id);
    if (confirm) {
      const confirmed = await api.post(`/orders/${id}/confirm`, {
        token: system.token,
        headers: { 'X-Idempotency-Key': randomUUID() },
      });
      if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${confirmed.text}`);
    }
    return id;
  }

  interface DeliveryState {
    id: number;
    eventId: string;
    eventType: string;
    status: string;
    attempts: number;
    subject: string;
  }

  async function deliveries(endpointId: number): Promise<DeliveryState[]> {
    const rows = (await system.database.db.query(sql`
      SELECT id, event_id, event_type, status, attempts, JSON_VALUE(payload, '$.subject') AS subject
      FROM webhook_deliveries WHERE endpoint_id = ${endpointId} ORDER BY id
    `)) as Array<{
      id: number;
      event_id: string;
      event_type: string;
      status: string;
      attempts: number;
      subject: string;
    }>;
    return rows.map((row) => ({
      id: Number(row.id),
      eventId: row.event_id,
      eventType: row.event_type,
      status: row.status,
      attempts: Number(row.attempts),
      subject: row.subject,
    }));
  }

  async function attempts(deliveryId: number) {
    return (await system.database.db.query(sql`
      SELECT attempt_number, response_status, error, response_excerpt,
        TIMESTAMPDIFF(MICROSECOND, (SELECT MIN(attempted_at) FROM webhook_attempts WHERE delivery_id = ${deliveryId}), attempted_at) / 1e6 AS offset_seconds
      FROM webhook_attempts WHERE delivery_id = ${deliveryId} ORDER BY attempt_number
    `)) as Array<{
      attempt_number: number;
      response_status: number | null;
      error: string | null;
      response_excerpt: string | null;
      offset_seconds: string;
    }>;
  }

  async function endpointState(id: number) {
    const [row] = (await system.database.db.query(sql`
      SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = ${id}
    `)) as Array<{ enabled: number; disabled_reason: string | null }>;
    return { enabled: Number(row!.enabled) === 1, disabledReason: row!.disabled_reason };
  }

  function untilDeliveries(
    endpointId: number,
    what: string,
    done: (rows: DeliveryState[]) => boolean,
    timeoutMs = 20_000,
  ) {
    let seen = '';
    return pollUntil(
      what,
      async () => {
        const rows = await deliveries(endpointId);
        seen = JSON.stringify(
          rows.map(({ eventType, status, attempts }) => ({ eventType, status, attempts })),
        );
        return done(rows) ? rows : undefined;
      },
      { timeoutMs, intervalMs: 50, lastSeen: () => seen },
    );
  }

  async function counter(registry: Registry, name: string, labels: Record<string, string> = {}) {
    return parsePrometheusText(await registry.metrics()).get(seriesKey(name, labels));
  }

  it('when an order is placed and confirmed, then the receiver gets order.created then order.confirmed, validly signed', async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret]);
    const endpointId = await createEndpoint(receiver.url, ['order.created', 'order.confirmed'], { secret });
    const { registry } = startDispatcher();
    expect(await counter(registry, 'webhook_deliveries_total', { outcome: 'refused' })).toBe(0);
    expect(await counter(registry, 'webhook_endpoints_disabled_total')).toBe(0);

    const orderId = await placeOrder(true);

    const rows = await untilDeliveries(
      endpointId,
      'both order events delivered',
      (current) => current.length === 2 && current.every((row) => row.status === 'SUCCEEDED'),
    );
    expect(receiver.requests.map((request) => request.status)).toEqual([204, 204]);
    const bodies = receiver.requests.map((request) => JSON.parse(request.body) as Record<string, unknown>);
    expect(bodies.map((body) => [body.type, body.subject])).toEqual([
      ['order.created', `orders/${orderId}`],
      ['order.confirmed', `orders/${orderId}`],
    ]);
    expect(receiver.requests.map((request) => request.id)).toEqual(rows.map((row) => row.eventId));
    expect(receiver.requests.map((request) => request.id)).toEqual(bodies.map((body) => body.id));
    for (const request of receiver.requests) expect(request.signatures).toHaveLength(1);
    expect(await counter(registry, 'webhook_deliveries_total', { outcome: 'succeeded' })).toBe(2);
  });

  it('when the webhook-timestamp is stale, then the receiver refuses it and the attempt is recorded with its answer', async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret]);
    const endpointId = await createEndpoint(receiver.url, ['order.created'], { secret });
    startDispatcher({ schedule: [0], now: () => Date.now() - 10 * 60_000 });

    await placeOrder(false);

    const [row] = await untilDeliveries(endpointId, 'the stale delivery failed', (current) =>
      current.some((delivery) => delivery.status === 'FAILED'),
    );
    expect(receiver.requests.map((request) => request.status)).toEqual([400]);
    expect(await attempts(row!.id)).toMatchObject([{ attempt_number: 1, response_status: 400, error: null }]);
  });

  it('when the receiver answers 500 twice and then 200, then three attempts are recorded with growing delays and the delivery succeeds', async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret], (_id, nth) => (nth <= 2 ? 500 : 200));
    const endpointId = await createEndpoint(receiver.url, ['order.confirmed'], { secret });
    const { registry } = startDispatcher({ schedule: [0, 1, 2] });

    await placeOrder(true);

    const [row] = await untilDeliveries(
      endpointId,
      'the delivery succeeded on its third attempt',
      (current) => current.some((delivery) => delivery.status === 'SUCCEEDED'),
    );
    expect(row).toMatchObject({ status: 'SUCCEEDED', attempts: 3, eventType: 'order.confirmed' });
    const recorded = await attempts(row!.id);
    expect(recorded.map((attempt) => [attempt.attempt_number, attempt.response_status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(recorded[0]!.response_excerpt).toBe('answer 500');
    const [, second, third] = recorded.map((attempt) => Number(attempt.offset_seconds));
    // schedule[1] = 1 s and schedule[2] = 2 s, each ± 10 %.
    expect(second).toBeGreaterThanOrEqual(0.9);
    expect(third! - second!).toBeGreaterThanOrEqual(1.8);
    expect(third! - second!).toBeGreaterThan(second!);
    expect(receiver.requests.map((request) => request.status)).toEqual([500, 500, 200]);
    expect(new Set(receiver.requests.map((request) => request.id)).size).toBe(1);
    expect(await counter(registry, 'webhook_deliveries_total', { outcome: 'retried' })).toBe(2);
    expect(await counter(registry, 'webhook_deliveries_total', { outcome: 'succeeded' })).toBe(1);
  });

  it('when the receiver answers 410, then the delivery fails and the endpoint is disabled', async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret], () => 410);
    const endpointId = await createEndpoint(receiver.url, ['order.created'], { secret });
    const { registry } = startDispatcher();

    await placeOrder(false);

    const [row] = await untilDeliveries(endpointId, 'the delivery failed', (current) =>
      current.some((delivery) => delivery.status === 'FAILED'),
    );
    expect(row).toMatchObject({ attempts: 1 });
    expect(await endpointState(endpointId)).toEqual({ enabled: false, disabledReason: 'answered 410 Gone' });
    expect(await counter(registry, 'webhook_endpoints_disabled_total')).toBe(1);
    expect(await counter(registry, 'webhook_deliveries_total', { outcome: 'failed' })).toBe(1);
  });

  it('when every attempt of the schedule fails, then the delivery is FAILED and the endpoint disabled with a reason', async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret], () => 503);
    const endpointId = await createEndpoint(receiver.url, ['order.created'], { secret });
    startDispatcher({ schedule: [0, 0.2, 0.2] });

    await placeOrder(false);

    const [row] = await untilDeliveries(endpointId, 'the delivery failed for good', (current) =>
      current.some((delivery) => delivery.status === 'FAILED'),
    );
    expect(row).toMatchObject({ attempts: 3 });
    expect(receiver.requests).toHaveLength(3);
    const state = await endpointState(endpointId);
    expect(state.enabled).toBe(false);
    expect(state.disabledReason).toMatch(/^failed every attempt for \d/);
  });

  it('when the receiver is down during 50 orders and then up, then every event is delivered exactly once', async () => {
    const secret = newSecret();
    const receiver = new Receiver([secret]);
    await receiver.start();
    const port = receiver.port;
    await receiver.stop();
    const endpointId = await createEndpoint(`http://127.0.0.1:${port}/hook`, ['order.created'], { secret });
    startDispatcher({ schedule: [0, 0.2, 0.3, 0.5, ...Array<number>(30).fill(0.5)] });

    await inParallel(50, 5, () => placeOrder(false));
    await untilDeliveries(
      endpointId,
      '50 deliveries, each refused a connection at least once',
      (current) => current.length === 50 && current.every((delivery) => delivery.attempts >= 1),
    );
    const [firstAttempt] = await attempts((await deliveries(endpointId))[0]!.id);
    expect(firstAttempt!.error).toMatch(/ECONNREFUSED/);
    receivers.push(receiver);
    await receiver.start(port);

    const rows = await untilDeliveries(
      endpointId,
      'all 50 delivered',
      (current) => current.length === 50 && current.every((delivery) => delivery.status === 'SUCCEEDED'),
      30_000,
    );
    const ids = receiver.requests.map((request) => request.id);
    expect(new Set(ids).size).toBe(50);
    expect(ids).toHaveLength(50);
    expect(new Set(ids)).toEqual(new Set(rows.map((row) => row.eventId)));
  });

  it('when a dispatcher stops mid-retry and two new ones run at once, then the schedule continues and each attempt is sent once', async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret], (_id, nth) => (nth <= 2 ? 500 : 200));
    const endpointId = await createEndpoint(receiver.url, ['order.created'], { secret });
    const first = startDispatcher({ schedule: [0, 3, 0.3] });

    await inParallel(20, 5, () => placeOrder(false));
    await untilDeliveries(
      endpointId,
      'every delivery failed once',
      (current) => current.length === 20 && current.every((delivery) => delivery.attempts >= 1),
    );
    await first.dispatcher.stop();
    const afterStop = await deliveries(endpointId);
    startDispatcher({ schedule: [0, 3, 0.3] });
    startDispatcher({ schedule: [0, 3, 0.3] });

    const rows = await untilDeliveries(endpointId, 'all 20 delivered', (current) =>
      current.every((delivery) => delivery.status === 'SUCCEEDED'),
    );
    expect(afterStop.every((row) => row.status === 'PENDING' && row.attempts === 1)).toBe(true);
    expect(rows.every((row) => row.attempts === 3)).toBe(true);
    // Three requests per webhook-id: attempt 1 and 2 answered 500, attempt 3 200 — none twice.
    for (const row of rows) {
      expect(
        receiver.requests.filter((request) => request.id === row.eventId).map((request) => request.status),
      ).toEqual([500, 500, 200]);
      const recorded = await attempts(row.id);
      expect(recorded.map((attempt) => attempt.attempt_number)).toEqual([1, 2, 3]);
      // Attempt 2 when the database said (schedule[1] = 3 s ± 10 % after attempt 1), whoever sent it.
      expect(Number(recorded[1]!.offset_seconds)).toBeGreaterThanOrEqual(2.7);
    }
    expect(receiver.requests).toHaveLength(60);
  });

  it('when a worker died holding a lease, then the delivery waits for the lease to run out and is sent once', async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret]);
    const endpointId = await createEndpoint(receiver.url, ['order.created'], { secret });
    const eventId = randomUUID();
    const payload = JSON.stringify({ specversion: '1.0', id: eventId, type: 'order.created', data: {} });
    await system.database.db.query(sql`
      INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at)
      VALUES (${endpointId}, ${eventId}, 'order.created', ${payload}, NOW(3))
    `);
    // What a worker killed after leasing leaves behind: a lease and no attempt.
    const leased = await leaseDueDeliveries(system.database.db, 10, 1_500);
    const leasedAt = Date.now();
    expect(leased.map((delivery) => delivery.eventId)).toEqual([eventId]);

    startDispatcher();
    startDispatcher();

    const [row] = await untilDeliveries(endpointId, 'delivered after the lease ran out', (current) =>
      current.some((delivery) => delivery.status === 'SUCCEEDED'),
    );
    expect(Date.now() - leasedAt).toBeGreaterThanOrEqual(1_400);
    expect(row).toMatchObject({ attempts: 1 });
    expect(receiver.requests.map((request) => [request.id, request.body])).toEqual([[eventId, payload]]);
  });

  it('when deliveries are older than the retention, then they and their attempts are deleted', async () => {
    const db = system.database.db;
    const endpointId = await createEndpoint('https://hooks.example.com/old', ['order.created']);
    await db.query(sql`UPDATE webhook_endpoints SET enabled = 0 WHERE id = ${endpointId}`);
    const inserted = (await db.query(sql`
      INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts, created_at, updated_at)
      VALUES (${endpointId}, ${randomUUID()}, 'order.created', '{}', 'SUCCEEDED', 1,
        NOW(3) - INTERVAL 31 DAY, NOW(3) - INTERVAL 31 DAY),
        (${endpointId}, ${randomUUID()}, 'order.created', '{}', 'SUCCEEDED', 1, NOW(3) - INTERVAL 29 DAY, NOW(3))
    `)) as unknown as { insertId: number | string };
    const oldId = Number(inserted.insertId);
    await db.query(sql`
      INSERT INTO webhook_attempts (delivery_id, attempt_number, attempted_at, response_status, duration_ms)
      VALUES (${oldId}, 1, NOW(3) - INTERVAL 31 DAY, 200, 5), (${oldId + 1}, 1, NOW(3) - INTERVAL 29 DAY, 200, 5)
    `);

    startDispatcher();

    await pollUntil(
      'the old delivery deleted',
      async () => ((await deliveries(endpointId)).length === 1 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect((await deliveries(endpointId)).map((row) => row.id)).toEqual([oldId + 1]);
    expect(await attempts(oldId)).toEqual([]);
    expect(await attempts(oldId + 1)).toHaveLength(1);
  });

  it('when an endpoint points at a metadata or private address, then the attempt is refused without connecting', async () => {
    const asked: string[] = [];
    const lookup: LookupFunction = async (hostname) => {
      asked.push(hostname);
      if (hostname === 'internal.example.test') return [{ address: '10.0.0.1', family: 4 }];
      throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    };
    const metadataEndpoint = await createEndpoint('https://169.254.169.254/latest/meta-data/', [
      'order.created',
    ]);
    const privateEndpoint = await createEndpoint('https://internal.example.test/hook', ['order.created']);
    const { registry } = startDispatcher({ schedule: [0], lookup });

    await placeOrder(false);

    for (const [endpointId, rule] of [
      [metadataEndpoint, 'refused: metadata'],
      [privateEndpoint, 'refused: private'],
    ] as const) {
      const [row] = await untilDeliveries(endpointId, `${rule} recorded`, (current) =>
        current.some((delivery) => delivery.status === 'FAILED'),
      );
      expect(await attempts(row!.id)).toMatchObject([
        { attempt_number: 1, response_status: null, error: rule },
      ]);
    }
    // Only the name was looked up (the literal was judged as it is), and refused before any connection.
    expect(asked).toEqual(['internal.example.test']);
    expect(await counter(registry, 'webhook_deliveries_total', { outcome: 'refused' })).toBe(2);
    expect(await counter(registry, 'webhook_deliveries_total', { outcome: 'succeeded' })).toBe(0);
  });

  it('when the secret was rotated, then deliveries carry both signatures during the overlap and only the new one after', async () => {
    const [previous, current] = [newSecret(), newSecret()];
    const receiver = await startReceiver([current]);
    const endpointId = await createEndpoint(receiver.url, ['order.created'], { secret: current, previous });
    startDispatcher();

    await placeOrder(false);
    await untilDeliveries(endpointId, 'the overlap delivery', (rows) =>
      rows.some((row) => row.status === 'SUCCEEDED'),
    );
    await system.database.db.query(sql`
      UPDATE webhook_endpoints SET previous_secret_expires_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ${endpointId}
    `);
    await placeOrder(false);
    await untilDeliveries(
      endpointId,
      'the delivery after the overlap',
      (rows) => rows.length === 2 && rows.every((row) => row.status === 'SUCCEEDED'),
    );

    const verifies = (secret: string, request: ReceivedRequest, signature: string) => {
      try {
        new Webhook(secret).verify(request.body, {
          'webhook-id': request.id,
          'webhook-timestamp': String(request.timestamp),
          'webhook-signature': signature,
        });
        return true;
      } catch {
        return false;
      }
    };
    const [during, after] = receiver.requests;
    expect(during!.signatures).toHaveLength(2);
    const [newSignature, oldSignature] = during!.signatures as [string, string];
    expect(verifies(current, during!, newSignature)).toBe(true);
    expect(verifies(previous, during!, oldSignature)).toBe(true);
    expect(verifies(previous, during!, newSignature)).toBe(false);
    expect(after!.signatures).toHaveLength(1);
    expect(verifies(current, after!, after!.signatures[0]!)).toBe(true);
    expect(verifies(previous, after!, after!.signatures[0]!)).toBe(false);
  });
});
