// The bench's webhook receiver: an HTTP server in the harness process that ours' Orders API
// delivers `order.created` to during its POST /orders (1 line, 8 connections) rounds. It answers
// 204 at once, verifies each delivery's Standard Webhooks signature (the `standardwebhooks`
// package, as a partner would), de-duplicates on `webhook-id`, and records the delivery latency:
// its receive time minus the envelope's `time` (the change's time on the database clock).
// See bench/README.md "Webhook delivery latency".
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type * as StandardWebhooks from 'standardwebhooks';

type StandardWebhooksModule = typeof StandardWebhooks;

/** One delivery as the receiver took it (the first of each `webhook-id`). */
export interface ReceivedDelivery {
  id: string;
  type: string | null;
  /** The envelope's `time`, ms since the epoch (NaN when it has none). */
  eventTimeMs: number;
  /** Date.now() when the body had arrived. */
  receivedAtMs: number;
  /** receivedAtMs − eventTimeMs. */
  latencyMs: number;
  /** ok, bad (verify threw), unchecked (the package could not be imported). */
  signature: 'ok' | 'bad' | 'unchecked';
}

export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  url: string;
  /** The endpoint's signing secret (whsec_…), once registered. */
  setSecret(secret: string): void;
  /** Whether `standardwebhooks` could be imported (false: every signature unchecked). */
  verifies: boolean;
  /** First receipts of each id, in arrival order. */
  deliveries: ReceivedDelivery[];
  counts: { received: number; duplicates: number; badSignatures: number; unchecked: number; notPost: number };
  close(): Promise<void>;
}

type Verifier = (secret: string, body: string, headers: Record<string, string>) => void;

/** `new Webhook(secret).verify(body, headers)` of the `standardwebhooks` package, or undefined without it. */
async function loadVerifier(): Promise<Verifier | undefined> {
  try {
    const module = (await import('standardwebhooks')) as StandardWebhooksModule & {
      default?: StandardWebhooksModule;
    };
    const Webhook = module.Webhook ?? module.default?.Webhook;
    if (typeof Webhook !== 'function') return undefined;
    return (secret, body, headers) => {
      new Webhook(secret).verify(body, headers);
    };
  } catch {
    return undefined;
  }
}

const headerRecord = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );

/** Starts the receiver on a free port of 127.0.0.1. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const verify = await loadVerifier();
  let secret: string | undefined;
  const seen = new Set<string>();
  const deliveries: ReceivedDelivery[] = [];
  const counts = { received: 0, duplicates: 0, badSignatures: 0, unchecked: 0, notPost: 0 };
  const server: Server = createServer((request, response) => {
    if (request.method !== 'POST' || request.url !== '/hook') {
      counts.notPost++;
      response.writeHead(404).end();
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const receivedAtMs = Date.now();
      // The answer first: the dispatcher's attempt ends here; checking is the receiver's own time.
      response.writeHead(204).end();
      counts.received++;
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id'] ?? '');
      let signature: ReceivedDelivery['signature'] = 'unchecked';
      if (verify && secret !== undefined) {
        try {
          verify(secret, body, headerRecord(request.headers));
          signature = 'ok';
        } catch {
          signature = 'bad';
          counts.badSignatures++;
        }
      } else {
        counts.unchecked++;
      }
      if (seen.has(id)) {
        counts.duplicates++;
        return;
      }
      seen.add(id);
      let envelope: { time?: unknown; type?: unknown } = {};
      try {
        envelope = JSON.parse(body) as typeof envelope;
      } catch {
        // counted, with no latency
      }
      const eventTimeMs = typeof envelope.time === 'string' ? Date.parse(envelope.time) : NaN;
      deliveries.push({
        id,
        type: typeof envelope.type === 'string' ? envelope.type : null,
        eventTimeMs,
        receivedAtMs,
        latencyMs: receivedAtMs - eventTimeMs,
        signature,
      });
    });
  });
  // Many short connections (the dispatcher opens one per attempt): no idle keep-alive to wait out.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    setSecret(value) {
      secret = value;
    },
    verifies: verify !== undefined,
    deliveries,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The nearest-rank percentile of `values` (sorted ascending); NaN for none. */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * fraction) - 1))]!;
}

/** A measured load's span, on the harness clock (= the database's here: both local). */
export interface WebhookRound {
  round: number;
  loadFromMs: number;
  loadToMs: number;
  /** order.created events the load wrote (orders_outbox). */
  eventsWritten: number;
  /** Seconds from the end of the load until every delivery of its events was made and none pending (null: not within the limit). */
  drainSeconds: number | null;
  /** Deliveries (rows) of the load's events, and those still PENDING when the wait ended. */
  deliveryRows: number;
  pendingAfterWait: number;
}

/** What the database says about the dispatcher's work, read before the database is dropped. */
export interface DispatcherTally {
  attempts: number;
  attemptsByStatus: Record<string, number>;
  deliveries: number;
  deliveriesByStatus: Record<string, number>;
  pendingAtEnd: number;
  /** Medians/p99 in ms of the stages of each delivery's first attempt (events of the measured loads). */
  stages: Record<string, { p50: number; p99: number; max: number; n: number }>;
  /** Attempt duration_ms (POST and answer), all attempts. */
  attemptDurationMs: { p50: number; p99: number; max: number };
}

export interface WebhookFigures {
  /** Why there are none (NATS did not answer, no webhooks in this tree, registration failed…). */
  notMeasured?: string;
  receiverUrl?: string;
  endpointId?: number;
  signatureChecked: boolean;
  rounds: WebhookRound[];
  /** Over the webhook rounds (events whose time falls in a load's span). */
  measured?: {
    unique: number;
    latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
    /** order.created events the loads wrote, and how many of them never arrived. */
    eventsWritten: number;
    missing: number;
  };
  /** Every request the receiver took in the run (also outside the loads' spans). */
  receiver?: WebhookReceiver['counts'] & { unique: number; outsideLoads: number };
  dispatcher?: DispatcherTally;
}

/** The figures of the webhook rounds from what the receiver recorded. */
export function summarizeWebhooks(
  receiver: WebhookReceiver,
  rounds: WebhookRound[],
): Pick<WebhookFigures, 'measured' | 'receiver'> {
  const inLoad = (delivery: ReceivedDelivery) =>
    rounds.some(
      (round) => delivery.eventTimeMs >= round.loadFromMs && delivery.eventTimeMs <= round.loadToMs,
    );
  const measuredDeliveries = receiver.deliveries.filter(inLoad);
  const latencies = measuredDeliveries.map((delivery) => delivery.latencyMs).sort((a, b) => a - b);
  const eventsWritten = rounds.reduce((sum, round) => sum + round.eventsWritten, 0);
  const unique = measuredDeliveries.length;
  return {
    measured: {
      unique,
      latencyMs: {
        p50: percentile(latencies, 0.5),
        p95: percentile(latencies, 0.95),
        p99: percentile(latencies, 0.99),
        max: latencies.at(-1) ?? NaN,
        mean:
          latencies.length === 0 ? NaN : latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
      },
      eventsWritten,
      missing: Math.max(0, eventsWritten - unique),
    },
    receiver: {
      ...receiver.counts,
      unique: receiver.deliveries.length,
      outsideLoads: receiver.deliveries.length - unique,
    },
  };
}

/** The Targets lines of the webhook figures. */
export function webhookSummaryLines(figures: WebhookFigures): string[] {
  if (figures.notMeasured !== undefined)
    return [`  Webhook delivery under that load: not measured: ${figures.notMeasured}`];
  const lines: string[] = [];
  const m = figures.measured;
  const r = figures.receiver;
  const d = figures.dispatcher;
  const ms = (value: number | undefined) =>
    value === undefined || Number.isNaN(value) ? '–' : `${value.toFixed(0)} ms`;
  if (m && r) {
    lines.push(
      `  Webhook delivery under that load (ours, order.created → a receiver on 127.0.0.1, ${figures.rounds.length} measured round(s)): ` +
        `${m.unique} of ${m.eventsWritten} events delivered (${m.missing} missing); latency commit → receiver ` +
        `p50 ${ms(m.latencyMs.p50)}, p95 ${ms(m.latencyMs.p95)}, p99 ${ms(m.latencyMs.p99)}, max ${ms(m.latencyMs.max)}`,
    );
    lines.push(
      `    receiver: ${r.received} deliveries, ${r.unique} unique ids, ${r.duplicates} duplicates, ` +
        (figures.signatureChecked
          ? `${r.badSignatures} bad signatures (standardwebhooks verify)`
          : `signatures NOT checked (standardwebhooks could not be imported by the bench)`) +
        (r.outsideLoads > 0
          ? `; ${r.outsideLoads} of them of events from before a load's span (not in the latency)`
          : ''),
    );
  }
  if (d) {
    const byStatus = Object.entries(d.attemptsByStatus)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    const stages = Object.entries(d.stages)
      .map(([name, stage]) => `${name} p50 ${ms(stage.p50)} / p99 ${ms(stage.p99)}`)
      .join('; ');
    const drains = figures.rounds
      .map((round) => (round.drainSeconds === null ? 'not drained' : `${round.drainSeconds.toFixed(2)} s`))
      .join(', ');
    lines.push(
      `    dispatcher (bench database): ${d.attempts} attempts [response_status ${byStatus || 'none'}] for ${d.deliveries} deliveries, ` +
        `${d.pendingAtEnd} pending at the end; attempt duration p50 ${ms(d.attemptDurationMs.p50)}, max ${ms(d.attemptDurationMs.max)}; ` +
        `all delivered after the load stopped: ${drains || '–'}`,
    );
    if (stages) lines.push(`    stages of the first attempt: ${stages}`);
  }
  return lines;
}
