import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { sql } from '@databases/mysql';
import { Counter, Gauge, type Registry } from 'prom-client';
import { connectInBackground, startBackgroundLoop } from './background';
import type { Database, Queryable } from './database';
import type { Logger } from './logger';
import { OUTBOX_COLUMNS, toEnvelope, type Outbox, type OutboxRow } from './outbox';
import { readCommittedTransaction, retryingConflicts } from './transaction';

/** Where a relay publishes: a JetStream stream of its own (docs/events.md). */
export interface EventBroker {
  /** NATS_URL, e.g. nats://127.0.0.1:4222. */
  url: string;
  /** The stream, created when missing: B2B_ORDERS, B2B_CUSTOMERS. */
  stream: string;
  /** Each event goes to `<subjectPrefix>.<type>`; the stream takes `<subjectPrefix>.>`. */
  subjectPrefix: string;
}

export interface EventRelayOptions {
  db: Database;
  outbox: Outbox;
  /** undefined when EVENTS_PUBLISH=off: events are only numbered for the feed. */
  broker: EventBroker | undefined;
  logger: Logger;
  /** Where the relay's metrics go (the app's registry). */
  registry: Registry;
  /** OUTBOX_RETENTION_HOURS: published events older than this are deleted. */
  retentionHours: number;
  /** Events per relay transaction (100). */
  batchSize?: number;
  /** The pause after a cycle that found nothing to do, in ms (200). */
  idleMs?: number;
  /** The bound on one JetStream acknowledgement, in ms (5000). */
  publishTimeoutMs?: number;
}

/** What /health says of the events (contracts/common.yaml Health): never a reason for a 503. */
export interface EventRelayState {
  /** `ok`: events flow (or wait for nothing); `degraded`: the broker is unreachable, events wait in the outbox; `off`: EVENTS_PUBLISH=off. */
  status: 'ok' | 'degraded' | 'off';
  broker: 'connected' | 'unreachable' | 'off';
  /** Age of the oldest event not yet published (or, when off, not yet numbered), in seconds; null when none waits. */
  oldestUnpublishedSeconds: number | null;
}

export interface EventRelay {
  state(): EventRelayState;
  /**
   * One cycle now (numbering, publishing, what waits): for tests and the bench, which wait for
   * it rather than for the timer. Resolves with how many events it published (or numbered, when off).
   */
  runOnce(): Promise<number>;
  /** Stops the timer, lets a cycle in progress finish, closes the broker connection. */
  stop(): Promise<void>;
}

/** JetStream drops a re-published Nats-Msg-Id within this window: a relay killed between publish and marking re-publishes within it. */
export const DUPLICATE_WINDOW_MS = 120_000;
/** How often a relay deletes published events older than the retention, in ms. */
const CLEANUP_INTERVAL_MS = 60_000;
/** Deleted per statement, so a cleanup never holds many locks. */
const CLEANUP_BATCH = 1_000;
/** The bound on connecting to the broker, in ms. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Backoff after a failed publish: doubles from the first to the last, in ms. */
const BACKOFF_MS = { first: 500, max: 30_000 };

/**
 * Starts the relay of `outbox` in this process (every replica may run one). A cycle, in a
 * READ COMMITTED transaction:
 *   1. `SELECT … FROM outbox_relays … FOR UPDATE SKIP LOCKED`: the relay holding that row lock
 *      relays now, the others stand by (no row) — so events are numbered and published in
 *      one order, and a subject's events never overtake each other across replicas;
 *   2. reads up to `batchSize` unpublished events, those already numbered first, then by
 *      position (a subject's events are inserted in commit order: each write holds its row)
 *      — or, while it cannot publish (EVENTS_PUBLISH=off, the broker away, a backoff), the
 *      events not yet numbered;
 *   3. numbers the ones without a feed position (GET /events lists them from then on, broker
 *      or not);
 *   4. publishes them in that order to JetStream with Nats-Msg-Id = the event id, and marks
 *      those acknowledged published; commits.
 * A relay that dies after publishing and before committing leaves them unmarked: the next
 * cycle (here or in another replica) publishes them again and JetStream drops the copies
 * (within DUPLICATE_WINDOW_MS). The broker being down never touches a request: events wait,
 * /health says `degraded`, and the relay tries again with doubling backoff.
 */
export function startEventRelay(options: EventRelayOptions): EventRelay {
  const { db, outbox, broker, registry } = options;
  const batchSize = options.batchSize ?? 100;
  const idleMs = options.idleMs ?? 200;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const logger = options.logger.child({ job: 'event-relay', outbox: outbox.table });
  const labels = { outbox: outbox.table };
  const metrics = relayMetrics(registry);
  // Counters start at 0, every series there from the first scrape (docs/operations.md "Metrics"), so a
  // rate() or increase() sees the first failure after a start.
  metrics.published.inc(labels, 0);
  metrics.failures.inc(labels, 0);

  let connection: NatsConnection | undefined;
  let client: JetStreamClient | undefined;
  let manager: JetStreamManager | undefined;
  // False after a failed publish: the stream may be gone (a broker back with an empty store,
  // a stream deleted by hand); the next attempt makes sure it exists first.
  let isStreamChecked = true;
  let isConnected = false;
  let backoffMs = 0;
  let retryAt = 0;
  let oldestUnpublishedSeconds: number | null = null;

  // The broker may start after the API; once connected, the client reconnects by itself.
  const connecting =
    broker &&
    connectInBackground({
      connect: () =>
        connectBroker(broker, logger, (isUp) => {
          isConnected = isUp;
          // Back from an outage: publish at once, not after the backoff it caused.
          if (isUp) [retryAt, backoffMs] = [0, 0];
        }),
      onConnected: (connected) => {
        ({ connection, client, manager } = connected);
        isConnected = true;
        logger.info({ broker: broker.url, stream: broker.stream }, 'publishing events to NATS JetStream');
      },
      close: (connected) => connected.connection.close(),
      // Said once, not every few seconds while NATS stays away.
      onFailure: (error, failures) => {
        if (failures === 1)
          logger.warn({ err: error, broker: broker.url }, 'NATS unreachable; events wait in the outbox');
      },
    });

  const canPublish = () => client !== undefined && isConnected && Date.now() >= retryAt;

  /** The doubling pause after a failure to publish (or to find the stream), 0.5 s to 30 s. */
  const backOff = () => {
    backoffMs = Math.min(BACKOFF_MS.max, backoffMs === 0 ? BACKOFF_MS.first : backoffMs * 2);
    retryAt = Date.now() + backoffMs;
  };

  /**
   * After a failed publish, creates the stream again when it is missing before publishing:
   * without it every publish fails ("no responders") for as long as the process runs. A
   * broker that does not answer this either counts as one more failure.
   */
  const streamReady = async (): Promise<boolean> => {
    if (isStreamChecked) return true;
    try {
      await ensureStream(manager!, broker!, logger);
      isStreamChecked = true;
      return true;
    } catch (error) {
      metrics.failures.inc(labels);
      backOff();
      logger.warn(
        { err: error, stream: broker!.stream, retryInMs: backoffMs },
        'JetStream stream not available',
      );
      return false;
    }
  };

  const cycle = async (): Promise<number> => {
    const publishing = canPublish() && (await streamReady());
    const result = await retryingConflicts(() =>
      readCommittedTransaction(db, async (tx) => {
        const [relay] = (await tx.query(sql`
          SELECT last_feed_position FROM outbox_relays WHERE outbox_name = ${outbox.table}
          FOR UPDATE SKIP LOCKED
        `)) as Array<{ last_feed_position: string }>;
        if (!relay) return { handled: 0, oldest: await oldestWaitingAge(tx, outbox, broker) };
        // Publishing: every unpublished event, those numbered already first. Not publishing
        // (EVENTS_PUBLISH=off, or the broker away): the ones the feed has not numbered yet.
        const waiting = publishing ? sql`published_at IS NULL` : sql`feed_position IS NULL`;
        const rows = (await tx.query(sql`
          SELECT ${OUTBOX_COLUMNS}
          FROM ${sql.ident(outbox.table)}
          WHERE ${waiting}
          ORDER BY feed_position IS NULL, feed_position, position
          LIMIT ${batchSize}
        `)) as OutboxRow[];
        if (rows.length === 0) return { handled: 0, oldest: await oldestWaitingAge(tx, outbox, broker) };
        let lastFeedPosition = Number(relay.last_feed_position);
        const feedPositions = rows.map((row) =>
          row.feed_position === null ? (lastFeedPosition += 1) : Number(row.feed_position),
        );
        const published = publishing ? await publishInOrder(rows) : 0;
        const positions = (subset: OutboxRow[]) =>
          sql.join(
            subset.map((row) => sql`${row.position}`),
            sql`, `,
          );
        const numbering = sql.join(
          rows.map((row, index) => sql`WHEN ${row.position} THEN ${feedPositions[index]}`),
          sql` `,
        );
        const publishedAt =
          published > 0
            ? sql`CASE WHEN position IN (${positions(rows.slice(0, published))}) THEN NOW(3) ELSE NULL END`
            : sql`NULL`;
        await tx.query([
          sql`
            UPDATE ${sql.ident(outbox.table)}
            SET feed_position = CASE position ${numbering} END, published_at = ${publishedAt}
            WHERE position IN (${positions(rows)})
          `,
          sql`UPDATE outbox_relays SET last_feed_position = ${lastFeedPosition} WHERE outbox_name = ${outbox.table}`,
        ]);
        return {
          handled: publishing ? published : rows.length,
          oldest: await oldestWaitingAge(tx, outbox, broker),
        };
      }),
    );
    oldestUnpublishedSeconds = result.oldest;
    metrics.oldestUnpublished.set(labels, result.oldest ?? 0);
    return result.handled;
  };

  /**
   * Publishes `rows` in order and returns how many were acknowledged before the first that
   * was not (those after it are published again by a later cycle: JetStream drops the
   * copies of any it had stored). All are sent before any acknowledgement is awaited.
   */
  const publishInOrder = async (rows: OutboxRow[]): Promise<number> => {
    const acks = rows.map((row) => {
      const envelope = toEnvelope(outbox, row);
      return client!.publish(`${broker!.subjectPrefix}.${row.type}`, JSON.stringify(envelope), {
        msgID: envelope.id,
        timeout: publishTimeoutMs,
      });
    });
    const outcomes = await Promise.allSettled(acks);
    const firstFailure = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    const acknowledged = firstFailure === -1 ? rows.length : firstFailure;
    metrics.published.inc(labels, acknowledged);
    if (firstFailure === -1) {
      backoffMs = 0;
      return acknowledged;
    }
    const failure = outcomes[firstFailure] as PromiseRejectedResult;
    metrics.failures.inc(labels);
    isStreamChecked = false;
    backOff();
    logger.warn(
      { err: failure.reason, acknowledged, waiting: rows.length - acknowledged, retryInMs: backoffMs },
      'could not publish events to JetStream; they wait in the outbox',
    );
    return acknowledged;
  };

  const cleanup = async (isStopped: () => boolean) => {
    const done = broker ? sql`published_at IS NOT NULL` : sql`feed_position IS NOT NULL`;
    let deleted: number;
    do {
      const result = (await db.query(sql`
        DELETE FROM ${sql.ident(outbox.table)}
        WHERE ${done} AND occurred_at < NOW(3) - INTERVAL ${options.retentionHours} HOUR
        ORDER BY position
        LIMIT ${CLEANUP_BATCH}
      `)) as unknown as { affectedRows?: number };
      deleted = result.affectedRows ?? 0;
    } while (deleted === CLEANUP_BATCH && !isStopped());
  };

  const loop = startBackgroundLoop({
    cycle,
    // A full batch: more wait, go on at once.
    isBusy: (handled) => handled >= batchSize,
    idleMs,
    housekeeping: { everyMs: CLEANUP_INTERVAL_MS, run: cleanup },
    onError: (error) =>
      logger.warn({ err: error }, 'the event relay failed a cycle; the next one tries again'),
  });

  return {
    state() {
      if (!broker) return { status: 'off', broker: 'off', oldestUnpublishedSeconds };
      const reachable = isConnected && client !== undefined;
      return {
        status: reachable && retryAt <= Date.now() ? 'ok' : 'degraded',
        broker: reachable ? 'connected' : 'unreachable',
        oldestUnpublishedSeconds,
      };
    },
    runOnce: loop.runOnce,
    async stop() {
      await loop.stop();
      await connecting?.stop();
      await connection?.close().catch(() => undefined);
    },
  };
}

/**
 * Connects (rejecting within CONNECT_TIMEOUT_MS when the broker does not answer), with
 * reconnection after any later outage for as long as it takes, and creates the stream when it
 * is missing. `onStatus` hears every disconnect and reconnect.
 */
async function connectBroker(
  broker: EventBroker,
  logger: Logger,
  onStatus: (connected: boolean) => void,
): Promise<{ connection: NatsConnection; client: JetStreamClient; manager: JetStreamManager }> {
  const connection = await connect({
    servers: broker.url,
    name: `b2b-${broker.stream.toLowerCase()}-relay`,
    timeout: CONNECT_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
  });
  void (async () => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        onStatus(false);
        logger.warn({ broker: broker.url }, 'NATS connection lost; events wait in the outbox');
      } else if (status.type === 'reconnect') {
        onStatus(true);
        logger.info({ broker: broker.url }, 'NATS connection back; publishing again');
      }
    }
  })();
  const manager = await jetstreamManager(connection);
  await ensureStream(manager, broker, logger);
  return { connection, client: jetstream(connection), manager };
}

/** Creates the broker's stream when it is missing (at connection, and after a failed publish). */
async function ensureStream(manager: JetStreamManager, broker: EventBroker, logger: Logger): Promise<void> {
  await manager.streams.info(broker.stream).catch(async () => {
    await manager.streams.add({
      name: broker.stream,
      subjects: [`${broker.subjectPrefix}.>`],
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
    });
    logger.info({ stream: broker.stream }, 'JetStream stream created');
  });
}

/** The age of the oldest event still waiting, in seconds, or null: what a standby relay reports. */
async function oldestWaitingAge(
  tx: Queryable,
  outbox: Outbox,
  broker: EventBroker | undefined,
): Promise<number | null> {
  const waiting = broker ? sql`published_at IS NULL` : sql`feed_position IS NULL`;
  const [row] = (await tx.query(sql`
    SELECT TIMESTAMPDIFF(MICROSECOND, occurred_at, NOW(3)) / 1e6 AS age_seconds
    FROM ${sql.ident(outbox.table)} WHERE ${waiting} ORDER BY position LIMIT 1
  `)) as Array<{ age_seconds: string | number }>;
  return row ? Number(row.age_seconds) : null;
}

interface RelayMetrics {
  published: Counter<'outbox'>;
  failures: Counter<'outbox'>;
  oldestUnpublished: Gauge<'outbox'>;
}

const metricsByRegistry = new WeakMap<Registry, RelayMetrics>();

/** The relay metrics of `registry` (docs/operations.md "Metrics"), made once per registry. */
function relayMetrics(registry: Registry): RelayMetrics {
  const existing = metricsByRegistry.get(registry);
  if (existing) return existing;
  const made: RelayMetrics = {
    published: new Counter({
      name: 'outbox_events_published_total',
      help: 'Events published to JetStream and acknowledged, by outbox.',
      labelNames: ['outbox'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Relay cycles whose publishing to JetStream failed (the events wait and are published again).',
      labelNames: ['outbox'],
      registers: [registry],
    }),
    oldestUnpublished: new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest event not yet published (0 when none waits): the outbox lag.',
      labelNames: ['outbox'],
      registers: [registry],
    }),
  };
  metricsByRegistry.set(registry, made);
  return made;
}
