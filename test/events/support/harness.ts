import { randomBytes, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  connectDatabase,
  createLogger,
  createMetricsRegistry,
  listen,
  sql,
  startEventRelay,
  type Database,
  type EventBroker,
  type EventEnvelope,
  type EventRelay,
  type Registry,
  type RunningServer,
} from '@b2b/service-kit';
import {
  createTestDatabase,
  httpClient,
  operatorToken,
  parsePrometheusText,
  seriesKey,
  TEST_AUTH,
  TEST_CURSOR_SECRET,
  type HttpClient,
  type NatsServer,
  type TestDatabase,
} from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';
import { createOrdersApp } from '@b2b/orders-api/app';
import { ORDERS_OUTBOX } from '@b2b/orders-api/events';

/**
 * Support for the broker fault suite: a fresh database with the Customers API and the Orders
 * API in-process (real HTTP, responses validated against their contracts), event relays the
 * test starts and stops itself, a JetStream stream and subject prefix of the test's own on the
 * file's private NATS server, and readers of what the stream and the outbox hold.
 */
export const silentLogger = createLogger({ service: 'broker-faults-test', level: 'silent' });

/** A message of the stream as a consumer sees it. */
export interface StreamMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  event: EventEnvelope;
}

/** An outbox row as the test reads it (orders_outbox). */
export interface OutboxState {
  eventId: string;
  type: string;
  subject: string;
  subjectSequence: number;
  feedPosition: number | null;
  isPublished: boolean;
}

export interface TestRelay {
  relay: EventRelay;
  registry: Registry;
  /** outbox_events_published_total of this relay (acknowledged publishes, duplicates included). */
  published(): Promise<number>;
  /** outbox_publish_failures_total of this relay (cycles whose publishing failed). */
  failures(): Promise<number>;
  stop(): Promise<void>;
}

export interface OrdersApi {
  url: string;
  api: HttpClient;
  close(): Promise<void>;
}

export type EventsSystem = Awaited<ReturnType<typeof startEventsSystem>>;

/**
 * What one test needs: its own database (so it can count every event of the outbox), a stream
 * and subject prefix of its own on `nats`, the Customers API, and starters for Orders APIs and
 * relays. `stop()` stops everything it started, in reverse order.
 */
export async function startEventsSystem(nats: NatsServer) {
  const suffix = randomBytes(6).toString('hex');
  const broker: EventBroker = {
    url: nats.url,
    stream: `TEST_BROKER_FAULTS_${suffix}`,
    subjectPrefix: `test.broker-faults.${suffix}`,
  };
  const stack: Array<() => Promise<unknown>> = [];
  const database: TestDatabase = await createTestDatabase();
  stack.push(() => database.drop());
  const token = await operatorToken();
  const customersServer: RunningServer = await listen(
    createCustomersApp({
      db: database.db,
      auth: TEST_AUTH,
      logger: silentLogger,
      validateResponses: true,
      cursorSecret: TEST_CURSOR_SECRET,
    }),
  );
  stack.push(() => customersServer.close());
  const customersApi = httpClient(customersServer.url);

  /** An Orders API on the test's database (TEST_CURSOR_SECRET: its cursors hold across instances). */
  async function startOrdersApi(options: { eventRelay?: EventRelay } = {}): Promise<OrdersApi> {
    const server = await listen(
      createOrdersApp({
        db: database.db,
        auth: TEST_AUTH,
        logger: silentLogger,
        customersApiBase: customersServer.url,
        validateResponses: true,
        cursorSecret: TEST_CURSOR_SECRET,
        eventRelay: options.eventRelay,
      }),
    );
    let isClosed = false;
    const close = async () => {
      if (isClosed) return;
      isClosed = true;
      await server.close();
    };
    stack.push(close);
    return { url: server.url, api: httpClient(server.url), close };
  }

  /**
   * A relay of orders_outbox to the test's stream, on the test's pool or (`ownPool`) on a pool
   * of its own, with metrics on a registry of its own.
   */
  function startRelay(options: { ownPool?: boolean; idleMs?: number; batchSize?: number } = {}): TestRelay {
    let db: Database = database.db;
    if (options.ownPool) {
      const pool = connectDatabase(database.url, { poolSize: 2 });
      stack.push(() => pool.dispose());
      db = pool;
    }
    const registry = createMetricsRegistry();
    const relay = startEventRelay({
      db,
      outbox: ORDERS_OUTBOX,
      broker,
      logger: silentLogger,
      registry,
      retentionHours: 168,
      idleMs: options.idleMs ?? 20,
      batchSize: options.batchSize,
    });
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= relay.stop());
    stack.push(stop);
    const counter = async (name: string) => {
      const samples = parsePrometheusText(await registry.metrics());
      return samples.get(seriesKey(name, { outbox: ORDERS_OUTBOX.table })) ?? 0;
    };
    return {
      relay,
      registry,
      stop,
      published: () => counter('outbox_events_published_total'),
      failures: () => counter('outbox_publish_failures_total'),
    };
  }

  async function createCustomer(): Promise<number> {
    const response = await customersApi.post('/customers', {
      token,
      body: { name: 'Broker fault customer', email: `${randomUUID()}@example.com` },
    });
    if (response.status !== 201) throw new Error(`createCustomer: ${response.status} ${response.text}`);
    return response.body.id;
  }

  async function createProduct(api: HttpClient, stock: number): Promise<number> {
    const response = await api.post('/products', {
      token,
      body: { sku: `BF-${randomUUID().slice(0, 13)}`, name: 'Euro pallet', price_cents: 1250, stock },
    });
    if (response.status !== 201) throw new Error(`createProduct: ${response.status} ${response.text}`);
    return response.body.id;
  }

  /** Every row of orders_outbox, in insertion order. */
  async function outbox(): Promise<OutboxState[]> {
    const rows = (await database.db.query(sql`
      SELECT event_id, type, subject, subject_sequence, feed_position, published_at IS NOT NULL AS is_published
      FROM orders_outbox ORDER BY position
    `)) as Array<{
      event_id: string;
      type: string;
      subject: string;
      subject_sequence: number | string;
      feed_position: string | null;
      is_published: number | string;
    }>;
    return rows.map((row) => ({
      eventId: row.event_id,
      type: row.type,
      subject: row.subject,
      subjectSequence: Number(row.subject_sequence),
      feedPosition: row.feed_position === null ? null : Number(row.feed_position),
      isPublished: Number(row.is_published) === 1,
    }));
  }

  return {
    database,
    broker,
    token,
    customersApi,
    customersApiBase: customersServer.url,
    startOrdersApi,
    startRelay,
    createCustomer,
    createProduct,
    outbox,
    async stop() {
      for (const step of stack.reverse()) await step().catch(() => undefined);
    },
  };
}

/** A connection of the test's own to the private server, reconnecting quickly after a restart. */
export function connectTestClient(nats: NatsServer): Promise<NatsConnection> {
  return connect({
    servers: nats.url,
    name: 'broker-faults-test',
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
}

/** How many messages `stream` holds; undefined while the server or the stream is not there. */
export async function streamMessageCount(
  connection: NatsConnection,
  stream: string,
): Promise<number | undefined> {
  try {
    const manager = await jetstreamManager(connection, { timeout: 2_000 });
    return (await manager.streams.info(stream)).state.messages;
  } catch {
    return undefined;
  }
}

/**
 * Every message of `stream`, in stream order, read with an ordered consumer (an ephemeral
 * consumer of the client's that delivers each message once, in sequence order).
 */
export async function readStream(connection: NatsConnection, stream: string): Promise<StreamMessage[]> {
  const manager = await jetstreamManager(connection);
  const { state } = await manager.streams.info(stream);
  const consumer = await jetstream(connection).consumers.get(stream);
  const messages: StreamMessage[] = [];
  for (let fetches = 0; messages.length < state.messages; fetches += 1) {
    if (fetches === 20) {
      throw new Error(`read ${messages.length} of the ${state.messages} messages of ${stream}`);
    }
    const batch = await consumer.fetch({ max_messages: state.messages - messages.length, expires: 2_000 });
    for await (const message of batch) {
      messages.push({
        seq: message.seq,
        subject: message.subject,
        msgId: message.headers?.get('Nats-Msg-Id'),
        event: message.json<EventEnvelope>(),
      });
    }
  }
  return messages;
}

/** Runs `task(0 … count-1)` with at most `concurrency` in flight; the results in index order. */
export async function inParallel<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Counts of each value: { 'order.created': 200, … }. */
export function countBy<T>(items: T[], keyOf: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const key = String(keyOf(item));
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * The subjectsequence values of each subject, in the order `events` lists them:
 * { 'orders/1': [1, 2], 'products/3': [1, 2, 3, 4] }.
 */
export function sequencesBySubject(
  events: Array<{ subject: string; subjectsequence: number }>,
): Record<string, number[]> {
  const sequences: Record<string, number[]> = {};
  for (const event of events) (sequences[event.subject] ??= []).push(event.subjectsequence);
  return sequences;
}

/** For each subject, 1 … n: what sequencesBySubject must give when nothing is missing, repeated or reordered. */
export function gaplessSequences(sequences: Record<string, number[]>): Record<string, number[]> {
  return Object.fromEntries(
    Object.entries(sequences).map(([subject, values]) => [
      subject,
      Array.from({ length: values.length }, (_, index) => index + 1),
    ]),
  );
}
