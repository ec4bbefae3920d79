import type { LookupAddress } from 'node:dns';
import { performance } from 'node:perf_hooks';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type Consumer,
  type JsMsg,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Agent, request } from 'undici';
import { connectInBackground, startBackgroundLoop, type Database, type Logger } from '@b2b/service-kit';
import {
  deleteExpiredDeliveries,
  insertDeliveries,
  leaseDueDeliveries,
  oldestPendingAgeSeconds,
  recordAttempt,
  type AttemptOutcome,
  type AttemptRecord,
  type LeasedDelivery,
} from './delivery-repository';
import { signWebhook, type WebhookHeaders } from './signing';
import { checkWebhookUrl, WebhookUrlRefused, type LookupFunction } from './url-policy';

/** A JetStream stream whose events go to the webhooks: B2B_ORDERS (b2b.orders), B2B_CUSTOMERS (b2b.customers). */
export interface WebhookStream {
  stream: string;
  subjectPrefix: string;
}

export interface WebhookDispatcherOptions {
  db: Database;
  logger: Logger;
  /** Where the dispatcher's metrics go (the app's registry). */
  registry: Registry;
  /** NATS_URL and the streams to consume; undefined (EVENTS_PUBLISH=off): no fan-out, deliveries already made still go out. */
  broker: { url: string; streams: WebhookStream[] } | undefined;
  /** WEBHOOK_ALLOWED_HOSTS, and a lookup for tests (default: dns.promises.lookup, all addresses). */
  policy: { allowedHosts: string[]; lookup?: LookupFunction };
  /** WEBHOOK_TIMEOUT_MS: the bound on one attempt (connect, answer, body excerpt). */
  timeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE in seconds: [delay of attempt 1, of attempt 2 after a failure, …]. */
  retryScheduleSeconds: number[];
  /** WEBHOOK_DELIVERY_RETENTION_DAYS: deliveries (and their attempts) older than this are deleted. */
  retentionDays: number;
  /** The pause after a cycle that found nothing to do, in ms (500). */
  idleMs?: number;
  /** The clock of the webhook-timestamp header, in ms since the epoch (tests: a stale one). Default Date.now. */
  now?: () => number;
  /** Deliveries leased and sent concurrently per cycle (16). */
  batchSize?: number;
}

/** What one cycle did. */
export interface WebhookDispatcherCycle {
  /** Broker messages handled (each acknowledged). */
  events: number;
  /** Deliveries added by the fan-out. */
  deliveriesAdded: number;
  /** Attempts made (and recorded). */
  attempts: number;
}

export interface WebhookDispatcher {
  /** One cycle now (fan-out of what waits in the streams, then the due deliveries): for tests, which wait for it. */
  runOnce(): Promise<WebhookDispatcherCycle>;
  /** Stops the loops, lets attempts in progress finish and be recorded, closes the broker connection. */
  stop(): Promise<void>;
}

/** The durable pull consumer of each stream, shared by every replica (design "Dispatcher"). */
export const WEBHOOK_CONSUMER = 'b2b-webhooks';
/** The response body kept of an attempt, in characters. */
export const RESPONSE_EXCERPT_CHARS = 1000;
/** What a lease adds to the attempt timeout: a worker records its attempt well within it. */
const LEASE_MARGIN_MS = 5_000;
/** Broker messages fetched at most per stream and cycle. */
const FETCH_BATCH = 100;
/** How long a fetch waits for messages the consumer said were there, in ms. */
const FETCH_EXPIRES_MS = 1_000;
/** The broker's redelivery of a message not acknowledged, in ms. */
const ACK_WAIT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 2_000;
const CLEANUP_INTERVAL_MS = 60 * 60_000;
const CLEANUP_BATCH = 1_000;
const ERROR_CHARS = 500;

/**
 * Starts the webhook dispatcher in this process (every replica may run one; design "Dispatcher").
 * A cycle:
 *   1. fan-out: for each stream, the messages waiting in its durable consumer `b2b-webhooks`
 *      (created when missing: deliver all, explicit ack) become one PENDING delivery per
 *      subscribed live endpoint (INSERT IGNORE: a redelivered message adds nothing), then are acked;
 *   2. delivery: leases due deliveries (FOR UPDATE SKIP LOCKED, locked_until = NOW + timeout +
 *      margin), commits, checks each URL against the SSRF rules, POSTs the envelope signed with
 *      Standard Webhooks headers to the checked address (no second resolution), and records the
 *      attempt: 2xx SUCCEEDED; 410 FAILED and the endpoint disabled; else retried after
 *      schedule[attempts] ± 10 % (database clock), or past the schedule FAILED and the endpoint disabled.
 */
export function startWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { db, broker, registry, policy, timeoutMs } = options;
  const schedule = options.retryScheduleSeconds;
  if (schedule.length === 0) throw new Error('startWebhookDispatcher: the retry schedule is empty');
  const idleMs = options.idleMs ?? 500;
  const batchSize = options.batchSize ?? 16;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ job: 'webhook-dispatcher' });
  const metrics = dispatcherMetrics(registry);
  for (const outcome of ['succeeded', 'failed', 'retried', 'refused'] as const)
    metrics.deliveries.inc({ outcome }, 0);
  metrics.endpointsDisabled.inc(0);
  metrics.oldestPending.set(0);

  let connection: NatsConnection | undefined;
  let client: JetStreamClient | undefined;
  let manager: JetStreamManager | undefined;
  const consumers = new Map<string, Consumer>();
  const consumerWarned = new Set<string>();
  const fanOutFailing = new Set<string>();

  // The broker may start after the API; once connected, the client reconnects by itself.
  const connecting =
    broker &&
    connectInBackground({
      connect: () =>
        connect({
          servers: broker.url,
          name: 'b2b-webhook-dispatcher',
          timeout: CONNECT_TIMEOUT_MS,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
        }),
      onConnected: async (connected) => {
        connection = connected;
        manager = await jetstreamManager(connected);
        client = jetstream(connected);
        logger.info({ broker: broker.url }, 'webhook dispatcher consuming NATS JetStream');
      },
      close: (connected) => connected.close(),
      onFailure: (error, failures) => {
        if (failures === 1)
          logger.warn({ err: error, broker: broker.url }, 'NATS unreachable; no webhook fan-out yet');
      },
    });

  /** The durable consumer of `target`, created when missing; undefined while the stream is not there. */
  const consumerOf = async (target: WebhookStream): Promise<Consumer | undefined> => {
    const known = consumers.get(target.stream);
    if (known) return known;
    try {
      await manager!.consumers.info(target.stream, WEBHOOK_CONSUMER).catch(async (error: unknown) => {
        if (!/consumer not found/i.test(String((error as Error)?.message))) throw error;
        await manager!.consumers.add(target.stream, {
          durable_name: WEBHOOK_CONSUMER,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          filter_subject: `${target.subjectPrefix}.>`,
          ack_wait: ACK_WAIT_MS * 1_000_000,
          max_ack_pending: 1_000,
        });
        logger.info({ stream: target.stream, consumer: WEBHOOK_CONSUMER }, 'JetStream consumer created');
      });
      const consumer = await client!.consumers.get(target.stream, WEBHOOK_CONSUMER);
      consumers.set(target.stream, consumer);
      consumerWarned.delete(target.stream);
      return consumer;
    } catch (error) {
      if (!consumerWarned.has(target.stream)) {
        consumerWarned.add(target.stream);
        logger.warn({ err: error, stream: target.stream }, 'webhook consumer not available; trying again');
      }
      return undefined;
    }
  };

  /** Fans out what waits in `target`'s consumer: deliveries inserted, then each message acked. */
  const fanOutStream = async (target: WebhookStream): Promise<{ events: number; added: number }> => {
    const consumer = await consumerOf(target);
    if (!consumer) return { events: 0, added: 0 };
    let waiting: number;
    try {
      waiting = (await consumer.info(false)).num_pending;
    } catch (error) {
      // The consumer (or its stream) may be gone: look it up again next time.
      consumers.delete(target.stream);
      throw error;
    }
    if (waiting === 0) return { events: 0, added: 0 };
    const messages = await consumer.fetch({
      max_messages: Math.min(FETCH_BATCH, waiting),
      expires: FETCH_EXPIRES_MS,
    });
    const fetched: Array<{ message: JsMsg; id: string; type: string; payload: string }> = [];
    for await (const message of messages) {
      const payload = message.string();
      let event: { id?: unknown; type?: unknown };
      try {
        event = JSON.parse(payload) as { id?: unknown; type?: unknown };
      } catch {
        event = {};
      }
      if (typeof event.id !== 'string' || typeof event.type !== 'string') {
        logger.error(
          { stream: target.stream, seq: message.seq },
          'not an event envelope; dropped from webhooks',
        );
        message.term();
        continue;
      }
      fetched.push({ message, id: event.id, type: event.type, payload });
    }
    // One statement for the batch; the messages acknowledged only once their deliveries are
    // committed: a crash before redelivers them (and adds nothing twice).
    const added = await insertDeliveries(db, fetched, schedule[0]! * 1000);
    await Promise.all(fetched.map(({ message }) => message.ackAck()));
    return { events: fetched.length, added };
  };

  const fanOut = async (): Promise<{ events: number; added: number }> => {
    if (!broker || !client || !manager || connection?.isClosed()) return { events: 0, added: 0 };
    let events = 0;
    let added = 0;
    for (const target of broker.streams) {
      try {
        const result = await fanOutStream(target);
        events += result.events;
        added += result.added;
        if (fanOutFailing.delete(target.stream))
          logger.info({ stream: target.stream }, 'webhook fan-out resumed');
      } catch (error) {
        // Said once per outage, not every cycle while the broker stays away.
        if (!fanOutFailing.has(target.stream)) {
          fanOutFailing.add(target.stream);
          logger.warn(
            { err: error, stream: target.stream },
            'webhook fan-out failed; the events wait in the stream',
          );
        }
      }
    }
    return { events, added };
  };

  /** What follows a failed attempt: the next one after schedule[attempts] ± 10 %, or FAILED past the schedule. */
  const afterFailure = (delivery: LeasedDelivery): AttemptOutcome => {
    const made = delivery.attempts + 1;
    const delaySeconds = schedule[made];
    if (delaySeconds === undefined) {
      return {
        status: 'FAILED',
        disableEndpoint: `failed every attempt for ${formatDuration(delivery.ageSeconds)}`,
      };
    }
    return { status: 'PENDING', delayMs: delaySeconds * 1000 * (0.9 + Math.random() * 0.2) };
  };

  const attempt = async (delivery: LeasedDelivery): Promise<boolean> => {
    const started = performance.now();
    let record: AttemptRecord;
    let outcome: AttemptOutcome;
    let label: 'succeeded' | 'failed' | 'retried' | 'refused';
    try {
      const checked = await checkWebhookUrl(delivery.url, policy);
      const secrets = [delivery.secret, ...(delivery.previousSecret ? [delivery.previousSecret] : [])];
      const headers = signWebhook(secrets, delivery.eventId, new Date(now()), delivery.payload);
      const answer = await post(checked.url, checked.addresses[0]!, headers, delivery.payload, timeoutMs);
      record = { ...answer, durationMs: elapsed(started), error: null };
      if (answer.responseStatus >= 200 && answer.responseStatus < 300) {
        outcome = { status: 'SUCCEEDED' };
        label = 'succeeded';
      } else if (answer.responseStatus === 410) {
        outcome = { status: 'FAILED', disableEndpoint: 'answered 410 Gone' };
        label = 'failed';
      } else {
        outcome = afterFailure(delivery);
        label = outcome.status === 'FAILED' ? 'failed' : 'retried';
      }
    } catch (error) {
      const refused = error instanceof WebhookUrlRefused;
      const message = refused ? `refused: ${error.rule}` : describeError(error, timeoutMs);
      record = {
        responseStatus: null,
        durationMs: elapsed(started),
        error: message.slice(0, ERROR_CHARS),
        responseExcerpt: null,
      };
      outcome = afterFailure(delivery);
      label = refused ? 'refused' : outcome.status === 'FAILED' ? 'failed' : 'retried';
    }
    const { recorded, endpointDisabled } = await recordAttempt(db, delivery, record, outcome);
    if (!recorded) {
      logger.warn(
        { deliveryId: delivery.id },
        'webhook attempt outlived its lease; another worker recorded it',
      );
      return false;
    }
    metrics.deliveries.inc({ outcome: label });
    if (endpointDisabled) {
      metrics.endpointsDisabled.inc();
      const reason = outcome.status === 'FAILED' ? outcome.disableEndpoint : null;
      logger.warn({ endpointId: delivery.endpointId, reason }, 'webhook endpoint disabled');
    }
    return true;
  };

  const deliver = async (): Promise<number> => {
    const leased = await leaseDueDeliveries(db, batchSize, timeoutMs + LEASE_MARGIN_MS);
    const results = await Promise.allSettled(leased.map(attempt));
    for (const result of results) {
      if (result.status === 'rejected') logger.warn({ err: result.reason }, 'webhook attempt not recorded');
    }
    return results.filter((result) => result.status === 'fulfilled' && result.value).length;
  };

  const cycle = async (): Promise<WebhookDispatcherCycle> => {
    const { events, added } = await fanOut();
    const attempts = await deliver();
    metrics.oldestPending.set(await oldestPendingAgeSeconds(db));
    return { events, deliveriesAdded: added, attempts };
  };

  const loop = startBackgroundLoop({
    cycle,
    isBusy: (result) => result.events > 0 || result.attempts >= batchSize,
    idleMs,
    housekeeping: {
      everyMs: CLEANUP_INTERVAL_MS,
      run: async (isStopped) => {
        const deleted = await deleteExpiredDeliveries(db, options.retentionDays, CLEANUP_BATCH, isStopped);
        if (deleted > 0) logger.info({ deleted }, 'expired webhook deliveries deleted');
      },
    },
    onError: (error) =>
      logger.warn({ err: error }, 'the webhook dispatcher failed a cycle; the next one tries again'),
  });

  return {
    runOnce: loop.runOnce,
    async stop() {
      await loop.stop();
      await connecting?.stop();
      await connection?.close().catch(() => undefined);
    },
  };
}

/**
 * POSTs `body` to `url`, connecting to the checked `address` (the connection's own lookup answers
 * with it: no second resolution), within `timeoutMs` for everything; keeps at most
 * RESPONSE_EXCERPT_CHARS of the answer. Redirects are not followed.
 */
async function post(
  url: URL,
  address: { address: string; family: number },
  headers: WebhookHeaders,
  body: string,
  timeoutMs: number,
): Promise<{ responseStatus: number; responseExcerpt: string | null }> {
  const pinned = (
    _hostname: string,
    lookupOptions: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    if (lookupOptions.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  };
  const agent = new Agent({
    connect: { lookup: pinned as never, timeout: timeoutMs },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    pipelining: 0,
  });
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher: agent,
      signal,
      headers: { 'content-type': 'application/json', 'user-agent': 'b2b-orders-webhooks/1.0', ...headers },
      body,
    });
    let excerpt = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        excerpt += decoder.decode(chunk as Buffer, { stream: true });
        if (excerpt.length >= RESPONSE_EXCERPT_CHARS) break;
      }
    } catch {
      // A body cut off (or still coming at the timeout): the status is the answer, the excerpt what came.
    }
    response.body.destroy();
    return {
      responseStatus: response.statusCode,
      responseExcerpt: excerpt === '' ? null : excerpt.slice(0, RESPONSE_EXCERPT_CHARS),
    };
  } finally {
    await agent.destroy().catch(() => undefined);
  }
}

function elapsed(started: number): number {
  return Math.max(0, Math.round(performance.now() - started));
}

function describeError(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string })?.name;
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    /timeout/i.test(String((error as Error)?.message))
  ) {
    return `timeout: no answer within ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = (error as { code?: string })?.code ?? cause?.code;
  const message = (error as Error)?.message ?? String(error);
  return code ? `${code}: ${cause?.message ?? message}` : message;
}

/** 90 → "1 min 30 s", 93784 → "1 d 2 h 3 min 4 s". */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.max(0, Math.round(totalSeconds));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${unit}`);
  }
  return parts.length === 0 ? '0 s' : parts.join(' ');
}

interface DispatcherMetrics {
  deliveries: Counter<'outcome'>;
  endpointsDisabled: Counter;
  oldestPending: Gauge;
}

const metricsByRegistry = new WeakMap<Registry, DispatcherMetrics>();

/** The webhook metrics of `registry` (design "Metrics"), made once per registry. */
function dispatcherMetrics(registry: Registry): DispatcherMetrics {
  const existing = metricsByRegistry.get(registry);
  if (existing) return existing;
  const made: DispatcherMetrics = {
    deliveries: new Counter({
      name: 'webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: succeeded; retried (another attempt scheduled); failed (no more: 410 or the schedule ran out); refused (the SSRF rules refused the URL).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    endpointsDisabled: new Counter({
      name: 'webhook_endpoints_disabled_total',
      help: 'Webhook endpoints the dispatcher disabled (410 Gone, or every attempt of a delivery failed).',
      registers: [registry],
    }),
    oldestPending: new Gauge({
      name: 'webhook_oldest_pending_delivery_age_seconds',
      help: 'Age of the oldest pending webhook delivery of an enabled endpoint (0 when none).',
      registers: [registry],
    }),
  };
  metricsByRegistry.set(registry, made);
  return made;
}
