// `npm run bench`: the one benchmark of the system as users run it. See bench/README.md.
//
// Builds the system, creates a fresh uniquely named database (the system's own `npm run
// migrate` and `npm run seed`), starts the Customers API, the Orders API and the
// orchestrator under serverless-offline as separate processes (NODE_ENV=production, random
// secrets, LOG_LEVEL=info to files), and next to them the plain reference implementation
// (bench/reference: Express + mysql2, no validation, no auth). Every measurement runs in
// its own load process (bench/load.ts: autocannon; bench/db-limit.ts: the order write's
// statements straight over mysql2) which reads each process's CPU time from /proc.
// Scenarios alternate between ours and the reference for several rounds; the table, a
// JSON file and an SVG chart go to bench/results/. Everything started is stopped and the
// database dropped at the end, on errors and on Ctrl-C. It asserts nothing.
//
//   npm run bench                          this checkout
//   npm run bench -- --system /other/tree  another checkout with the same layout
//   BENCH_QUICK=1 npm run bench            about a minute, one round (smoke run)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { build } from 'esbuild';
import { createConnection, type Connection } from 'mysql2/promise';
import { closeHttpAgents, httpJson } from '../bench/lib/http';
import { cpuMicros, findDatabaseServerPid, loadAverage, rssBytes } from '../bench/lib/proc';
import { median } from '../bench/lib/stats';
import type { DbLimitSpec, LoadSpec, RunResult, Workload } from '../bench/lib/types';
import {
  aggregate,
  EVENTS_ON_OFF_TARGET,
  renderSvg,
  renderTable,
  summarizeRelay,
  type Aggregate,
  type Measurement,
  type OutboxSample,
  type RelayRun,
  type ScenarioInfo,
  type Target,
} from '../bench/report';
import {
  percentile,
  startWebhookReceiver,
  summarizeWebhooks,
  webhookSummaryLines,
  type DispatcherTally,
  type WebhookFigures,
  type WebhookReceiver,
  type WebhookRound,
} from '../bench/webhooks';

const harnessRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const startedAt = Date.now();

// ───────────────────────────── options ─────────────────────────────

const { values: args } = parseArgs({
  options: {
    system: { type: 'string' },
    json: { type: 'string' },
    table: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(readFileSync(path.join(harnessRoot, 'bench/README.md'), 'utf8'));
  process.exit(0);
}

const env = process.env;
const quick = env.BENCH_QUICK === '1';
const number = (name: string, fallback: number) => {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};
const settings = {
  seconds: number('BENCH_SECONDS', quick ? 1 : 8),
  rounds: Math.max(1, Math.round(number('BENCH_ROUNDS', quick ? 1 : 3))),
  warmupSeconds: number('BENCH_WARMUP_SECONDS', quick ? 0 : 2),
  overloadSeconds: number('BENCH_OVERLOAD_SECONDS', quick ? 3 : 30),
  overloadConnections: Math.round(number('BENCH_OVERLOAD_CONNECTIONS', 256)),
  overloadReference: env.BENCH_OVERLOAD_REFERENCE !== '0',
  idleColdSeconds: number('BENCH_IDLE_COLD_SECONDS', quick ? 0 : 62),
  /** Scenario ids to run (comma-separated), for a quicker look at a few; all by default. */
  only: env.BENCH_SCENARIOS?.split(',').map((id) => id.trim()),
  products: Math.round(number('BENCH_PRODUCTS', 500)),
  customers: Math.round(number('BENCH_CUSTOMERS', 50)),
  build: env.BENCH_SKIP_BUILD !== '1',
  keepDatabase: env.BENCH_KEEP_DATABASE === '1',
  databaseServer: (env.BENCH_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
  /** The NATS JetStream server ours publishes its events to (a stream of the run's own). */
  natsUrl: env.BENCH_NATS_URL || 'nats://127.0.0.1:4222',
  /** The server whose CPU is the `mariadbd` column; the first mariadbd/mysqld on the machine by default. */
  databasePid: env.BENCH_DATABASE_PID ? Math.round(number('BENCH_DATABASE_PID', 0)) : undefined,
  /** `name=pid,…`: more processes read like the database server (a cluster's other nodes, a proxy). */
  extraPids: Object.fromEntries(
    (env.BENCH_EXTRA_PIDS ?? '')
      .split(',')
      .filter((pair) => pair.trim() !== '')
      .map((pair) => {
        const [name, pid] = pair.split('=').map((part) => part.trim());
        if (!name || !/^\d+$/.test(pid ?? '')) throw new Error(`BENCH_EXTRA_PIDS: "${pair}" is not name=pid`);
        return [name, Number(pid)];
      }),
  ) as Record<string, number>,
  quick,
};

const systemRoot = path.resolve(args.system ?? harnessRoot);
for (const required of ['package.json', 'customers-api', 'orders-api', 'lambda-orchestrator']) {
  if (!existsSync(path.join(systemRoot, required))) {
    console.error(`--system ${systemRoot}: no ${required} there; point it at a checkout of this repository.`);
    process.exit(2);
  }
}

const stamp = new Date(startedAt).toISOString().replace(/[:.]/g, '-').replace('Z', '');
const runId = randomBytes(3).toString('hex');
const resultsDir = path.join(harnessRoot, 'bench/results');
const logsDir = path.join(resultsDir, stamp, 'logs');
mkdirSync(logsDir, { recursive: true });
const scratchDir = mkdtempSync(path.join(tmpdir(), 'bench-'));
// Inside the checkout, so that the bundles' bare imports resolve to its node_modules; a
// `dist` directory, which eslint, prettier and tsc leave alone. Deleted at the end.
const bundleDir = path.join(resultsDir, stamp, 'dist');
const databaseName = `bench_${stamp.replace(/-/g, '').replace('T', '_').slice(0, 15)}_${runId}`;
const databaseUrl = `${settings.databaseServer}/${databaseName}`;
// Ours publishes to JetStream streams of the run's own (one per API: a stream takes its API's
// `<prefix>.>` subjects), deleted at the end; never the B2B_* streams of a real deployment.
const eventStreams = {
  orders: {
    stream: `BENCH_${runId.toUpperCase()}_ORDERS`,
    subjectPrefix: `bench.${runId.toLowerCase()}.orders`,
  },
  customers: {
    stream: `BENCH_${runId.toUpperCase()}_CUSTOMERS`,
    subjectPrefix: `bench.${runId.toLowerCase()}.customers`,
  },
};
/** The longest wait for ours' outbox to be published (after a load, and before a sampled one). */
const OUTBOX_WAIT_MS = 30_000;
/** The longest wait, after a post-order-1-8 load of ours, for every webhook delivery of its events. */
const WEBHOOK_WAIT_MS = 120_000;

const log = (message: string) =>
  console.log(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${message}`);

// ───────────────────────────── processes ─────────────────────────────

interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  exit?: { code: number | null; signal: string | null; afterStopMs?: number };
  exited: Promise<void>;
  stopRequestedAt?: number;
}

const managed: Managed[] = [];
let aborted = false;

/** Starts a child in its own process group (so stopping it also ends what it spawned). */
function startProcess(
  name: string,
  command: string,
  commandArgs: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdout?: 'pipe' },
): Managed {
  const logFile = path.join(logsDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(command, commandArgs, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', options.stdout ?? fd, fd],
    detached: true,
  });
  closeSync(fd);
  const entry: Managed = { name, child, logFile, exited: Promise.resolve() };
  entry.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      entry.exit = {
        code,
        signal,
        afterStopMs: entry.stopRequestedAt === undefined ? undefined : Date.now() - entry.stopRequestedAt,
      };
      resolve();
    });
    child.once('error', (error) => {
      writeFileSync(logFile, `spawn failed: ${error.message}\n`, { flag: 'a' });
      entry.exit = { code: null, signal: 'spawn-error' };
      resolve();
    });
  });
  managed.push(entry);
  return entry;
}

const isRunning = (entry: Managed) => entry.exit === undefined;

function signalGroup(entry: Managed, signal: NodeJS.Signals) {
  if (!isRunning(entry) || entry.child.pid === undefined) return;
  try {
    process.kill(-entry.child.pid, signal);
  } catch {
    // already gone
  }
}

async function stopProcess(entry: Managed, graceMs = 12_000): Promise<void> {
  if (!isRunning(entry)) return;
  entry.stopRequestedAt = Date.now();
  signalGroup(entry, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(entry, 'SIGKILL'), graceMs);
  await entry.exited;
  clearTimeout(timer);
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** Runs a set-up step to completion; its output goes to its log file. */
async function runStep(
  name: string,
  command: string,
  commandArgs: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
) {
  if (aborted) throw new Error('aborted');
  const entry = startProcess(name, command, commandArgs, options);
  await entry.exited;
  if (entry.exit?.code !== 0) {
    throw new Error(
      `${name} (${command} ${commandArgs.join(' ')} in ${options.cwd}) failed with ${entry.exit?.signal ?? entry.exit?.code}:\n${tail(entry.logFile)}`,
    );
  }
}

/** Runs one load process and returns what it measured. */
async function runLoadProcess(
  script: 'load' | 'db-limit',
  spec: LoadSpec | DbLimitSpec,
  seconds: number,
): Promise<RunResult> {
  if (aborted) throw new Error('aborted');
  const specFile = path.join(scratchDir, `${script}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const entry = startProcess(
    script === 'load' ? 'loadgen' : 'db-limit',
    process.execPath,
    [path.join(bundleDir, `${script}.mjs`), specFile],
    {
      cwd: harnessRoot,
      env: { PATH: env.PATH, HOME: env.HOME, NODE_ENV: 'production' },
      stdout: 'pipe',
    },
  );
  let output = '';
  entry.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => signalGroup(entry, 'SIGKILL'), (seconds + 90) * 1000);
  await entry.exited;
  clearTimeout(timer);
  managed.splice(managed.indexOf(entry), 1);
  const line = output.trim().split('\n').at(-1);
  if (entry.exit?.code !== 0 || !line) {
    throw new Error(
      `${script} process failed (${entry.exit?.signal ?? entry.exit?.code}):\n${tail(entry.logFile)}`,
    );
  }
  return JSON.parse(line) as RunResult;
}

// ───────────────────────────── clean-up ─────────────────────────────

let cleanedUp = false;
const stopReport: Array<{ name: string; code: number | null; signal: string | null; afterStopMs?: number }> =
  [];

async function dropDatabase() {
  if (settings.keepDatabase) {
    log(`database ${databaseName} kept (BENCH_KEEP_DATABASE=1)`);
    return;
  }
  try {
    const connection = await createConnection({ uri: settings.databaseServer });
    await connection.query(`DROP DATABASE IF EXISTS \`${databaseName}\``);
    await connection.end();
  } catch (error) {
    console.error(`could not drop database ${databaseName}: ${(error as Error).message}`);
  }
}

/** The harness's own connection that samples the outbox. */
let outboxConnection: Connection | undefined;
/** Whether NATS answered when the run began (undefined: not asked yet). */
let natsAnsweredAtStart: boolean | undefined;
/** The harness's webhook receiver (bench/webhooks.ts), closed at clean-up after the APIs stopped. */
let webhookReceiver: WebhookReceiver | undefined;
/** What became of the run's JetStream streams at clean-up. */
const streamCleanup: Record<string, string> = {};

async function connectToNats(): Promise<NatsConnection> {
  return connectNats({ servers: settings.natsUrl, timeout: 2_000, name: `bench-${runId}` });
}

/** Deletes the run's streams (the relays created them on connecting); a stream never created is fine. */
async function deleteEventStreams() {
  let connection: NatsConnection | undefined;
  try {
    connection = await connectToNats();
    const manager = await jetstreamManager(connection);
    for (const { stream } of Object.values(eventStreams)) {
      try {
        await manager.streams.delete(stream);
        streamCleanup[stream] = 'deleted';
      } catch (error) {
        const message = (error as Error).message;
        streamCleanup[stream] = /not found/i.test(message) ? 'never created' : `not deleted: ${message}`;
      }
    }
  } catch (error) {
    for (const { stream } of Object.values(eventStreams))
      streamCleanup[stream] =
        natsAnsweredAtStart === true
          ? `not deleted, NATS did not answer: ${(error as Error).message}`
          : 'not deleted: NATS answered neither at start nor at clean-up (created only if it answered in between)';
  } finally {
    await connection?.close().catch(() => undefined);
  }
  for (const [stream, outcome] of Object.entries(streamCleanup)) {
    if (outcome.startsWith('not deleted') && natsAnsweredAtStart)
      console.error(`JetStream stream ${stream} ${outcome}`);
  }
}

async function cleanUp() {
  if (cleanedUp) return;
  cleanedUp = true;
  const running = managed.filter(isRunning);
  await Promise.all(running.map((entry) => stopProcess(entry)));
  for (const entry of running) {
    if (entry.exit) stopReport.push({ name: entry.name, ...entry.exit });
  }
  closeHttpAgents();
  await webhookReceiver?.close().catch(() => undefined);
  await outboxConnection?.end().catch(() => undefined);
  // After the APIs stopped: a relay still running would create its stream again.
  await deleteEventStreams();
  await dropDatabase();
  rmSync(scratchDir, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
}

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupts++;
    aborted = true;
    if (interrupts > 1) {
      for (const entry of managed) signalGroup(entry, 'SIGKILL');
      process.exit(130);
    }
    console.error(`\n${signal}: stopping everything and dropping ${databaseName}… (again to force)`);
    // The running step fails, and the main flow's finally block cleans up.
    for (const entry of managed.filter(
      (m) => ['loadgen', 'db-limit'].includes(m.name) || m.name.startsWith('step-'),
    )) {
      signalGroup(entry, 'SIGTERM');
    }
    void cleanUp().then(() => {
      console.error(
        `stopped every process; database ${databaseName} ${settings.keepDatabase ? 'kept' : 'dropped'}`,
      );
      process.exit(130);
    });
  });
}
process.on('exit', () => {
  for (const entry of managed) signalGroup(entry, 'SIGKILL');
});

// ───────────────────────────── helpers ─────────────────────────────

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A secret the services accept in production: long, random, not a placeholder. */
function secret(bytes: number): string {
  for (;;) {
    const value = randomBytes(bytes).toString('base64url');
    if (!/change-?me/i.test(value)) return value;
  }
}

async function waitUntil(what: string, entry: Managed, check: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (aborted) throw new Error('aborted');
    if (!isRunning(entry))
      throw new Error(`${what} exited (${entry.exit?.signal ?? entry.exit?.code}):\n${tail(entry.logFile)}`);
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} was not ready within ${timeoutMs / 1000} s:\n${tail(entry.logFile)}`);
}

function gitDescription(directory: string): string {
  const git = (...gitArgs: string[]) =>
    execFileSync('git', ['-C', directory, ...gitArgs], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    const head = git('rev-parse', '--short', 'HEAD').trim();
    const dirty = git('status', '--porcelain').split('\n').filter(Boolean).length;
    return dirty > 0 ? `${head} + ${dirty} uncommitted change(s)` : head;
  } catch {
    return 'unknown';
  }
}

async function inBatches<T>(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await work(index);
      }
    }),
  );
  return results;
}

function describeRelayRun(run: RelayRun): string {
  return (
    `written ${run.writtenPerSec.toFixed(0)} events/s, published ${run.publishedPerSec.toFixed(0)} events/s, ` +
    `lag p50 ${run.lagP50Seconds.toFixed(2)} s, max ${run.lagMaxSeconds.toFixed(2)} s (${run.samples.length} samples); ` +
    `${run.unpublishedAtEnd} unpublished at the end, ` +
    (run.drainSeconds === null
      ? 'outbox not drained'
      : `outbox empty ${run.drainSeconds.toFixed(2)} s after the load`) +
    (run.backlogBefore > 0
      ? `; ${run.backlogBefore} events of earlier loads published first (${run.backlogWaitSeconds.toFixed(1)} s)`
      : '')
  );
}

// ───────────────────────────── the run ─────────────────────────────

type Part = 'customers' | 'orders' | 'orchestrator';
interface RunningSystem {
  urls: Record<Part, string>;
  /** By part; the EVENTS=off copy has no orchestrator. */
  pids: Partial<Record<Part, number>>;
  processes: Partial<Record<Part, Managed>>;
}

interface Scenario extends ScenarioInfo {
  part: Part;
  workload: (target: Target, round: number) => Workload;
  lines?: number;
}

const rssSamples: Array<{ t: number; phase: string; rssMiB: Record<string, number> }> = [];
let phase = 'set-up';

async function main() {
  const machine = { cpus: cpus().length, loadAverageAtStart: loadAverage(), loadAverageAtEnd: '' };
  log(
    `system ${systemRoot} (${gitDescription(systemRoot)}), ${settings.rounds} round(s) of ${settings.seconds} s` +
      `${quick ? ' (BENCH_QUICK)' : ''}; load average ${machine.loadAverageAtStart}; logs in ${path.relative(harnessRoot, logsDir)}`,
  );

  // The load processes and the reference run as plain JavaScript under plain `node` (no
  // tsx loader in the processes being measured); packages stay external.
  await build({
    entryPoints: [
      'load',
      'db-limit',
      'reference/customers-api',
      'reference/orders-api',
      'reference/orchestrator',
    ].map((name) => ({ in: path.join(harnessRoot, 'bench', `${name}.ts`), out: path.basename(name) })),
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });

  // Build, database.
  if (settings.build) {
    log('building (npm run build)…');
    await runStep('step-build', 'npm', ['run', 'build'], {
      cwd: systemRoot,
      env: { ...env, NODE_ENV: undefined },
    });
  }
  log(`creating database ${databaseName} (npm run migrate, npm run seed)…`);
  {
    const connection = await createConnection({ uri: settings.databaseServer });
    await connection.query(
      `CREATE DATABASE \`${databaseName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await connection.end();
  }
  const stepEnv = { ...env, NODE_ENV: undefined, DATABASE_URL: databaseUrl };
  await runStep('step-migrate', 'npm', ['run', 'migrate'], { cwd: systemRoot, env: stepEnv });
  await runStep('step-seed', 'npm', ['run', 'seed'], { cwd: systemRoot, env: stepEnv });
  // Trees before events have no outbox (and ignore EVENTS): no relay figures, and the
  // EVENTS=off copy is then the same system as ours.
  const hasOutbox = await (async () => {
    const connection = await createConnection({ uri: settings.databaseServer });
    const [tables] = (await connection.query(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_name = 'orders_outbox'`,
      [databaseName],
    )) as unknown as [Array<{ name: string }>];
    await connection.end();
    return tables.length > 0;
  })();

  // Ours publishes its events to the machine's NATS; without one they wait in the outbox
  // (measured anyway, without relay figures).
  const natsProblem = await (async () => {
    let connection: NatsConnection | undefined;
    try {
      connection = await connectToNats();
      await jetstreamManager(connection); // fails when the server has no JetStream
      return undefined;
    } catch (error) {
      return (error as Error).message || String(error);
    } finally {
      await connection?.close().catch(() => undefined);
    }
  })();
  natsAnsweredAtStart = natsProblem === undefined;
  const relayPublishes = hasOutbox && natsProblem === undefined;
  log(
    natsProblem === undefined
      ? `NATS JetStream answers at ${settings.natsUrl}: ours publishes to the streams ${eventStreams.orders.stream} and ${eventStreams.customers.stream}`
      : `NATS does not answer at ${settings.natsUrl} (${natsProblem}): ours keeps its events in the outbox, no relay figures`,
  );

  // Start ours, as users do (scripts/start.mjs), in production mode with real secrets.
  const [
    customersPort,
    ordersPort,
    orchestratorPort,
    lambdaPort,
    refCustomersPort,
    refOrdersPort,
    refOrchestratorPort,
    offCustomersPort,
    offOrdersPort,
  ] = await Promise.all(Array.from({ length: 9 }, freePort));
  // Every secret production demands (trees that do not read one ignore it).
  const secrets = { JWT_SECRET: secret(48), SERVICE_TOKEN: secret(32), CURSOR_SECRET: secret(48) };
  const baseEnv = {
    PATH: env.PATH,
    HOME: env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    ...secrets,
  };
  const url = (port: number | undefined) => `http://127.0.0.1:${port}`;
  log('starting the Customers API, the Orders API and the orchestrator (serverless-offline)…');
  // The V8 flags the tree's own `npm start` gives its APIs (none in trees older than them).
  const apiProcessModule = path.join(systemRoot, 'scripts/lib/api-process.mjs');
  const apiNodeFlags = existsSync(apiProcessModule)
    ? ((await import(pathToFileURL(apiProcessModule).href)) as { API_NODE_FLAGS: string[] }).API_NODE_FLAGS
    : [];
  // Events on, to the run's own streams (trees before events ignore these).
  const eventsEnv = (part: 'customers' | 'orders') => ({
    EVENTS: 'on',
    EVENTS_PUBLISH: 'on',
    NATS_URL: settings.natsUrl,
    EVENTS_STREAM: eventStreams[part].stream,
    EVENTS_SUBJECT_PREFIX: eventStreams[part].subjectPrefix,
  });
  // The Orders API's webhook dispatcher reads the Customers API's stream too: the run's own (by
  // default it is B2B_CUSTOMERS, a real deployment's, whose shared durable consumer it would
  // take messages from). Production's allow-list is empty; the bench's receiver is on loopback.
  // The EVENTS=off copy gets the same: it has no fan-out (no broker), but its delivery worker
  // leases from the same database, and would otherwise refuse the loopback URL and retry 5 s later.
  const webhooksEnv = {
    CUSTOMERS_EVENTS_STREAM: eventStreams.customers.stream,
    CUSTOMERS_EVENTS_SUBJECT_PREFIX: eventStreams.customers.subjectPrefix,
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  };
  const oursProcesses = {
    customers: startProcess(
      'customers-api',
      process.execPath,
      [...apiNodeFlags, 'customers-api/dist/server.js'],
      {
        cwd: systemRoot,
        env: { ...baseEnv, ...eventsEnv('customers'), PORT: String(customersPort) },
      },
    ),
    orders: startProcess('orders-api', process.execPath, [...apiNodeFlags, 'orders-api/dist/server.js'], {
      cwd: systemRoot,
      env: {
        ...baseEnv,
        ...eventsEnv('orders'),
        ...webhooksEnv,
        PORT: String(ordersPort),
        CUSTOMERS_API_BASE: url(customersPort),
      },
    }),
    orchestrator: startProcess(
      'orchestrator',
      path.join(systemRoot, 'node_modules/.bin/serverless'),
      ['offline', 'start'],
      {
        cwd: path.join(systemRoot, 'lambda-orchestrator'),
        env: {
          ...baseEnv,
          ORCHESTRATOR_PORT: String(orchestratorPort),
          ORCHESTRATOR_LAMBDA_PORT: String(lambdaPort),
          // Only the orchestrators of trees before it was the Orders API's alone read CUSTOMERS_API_BASE.
          CUSTOMERS_API_BASE: url(customersPort),
          ORDERS_API_BASE: url(ordersPort),
          // As scripts/start.mjs sets it for `npm start` (trees whose serverless.yml ignores it: no effect).
          ORCHESTRATOR_IN_PROCESS: 'true',
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
          SLS_INTERACTIVE_SETUP_DISABLE: '1',
          AWS_ACCESS_KEY_ID: 'bench-local',
          AWS_SECRET_ACCESS_KEY: 'bench-local',
        },
      },
    ),
  };
  // The same two APIs again, started the same way, with EVENTS=off: "today's figure" of
  // POST /orders, measured in the same rounds, on the same database. They write no events and
  // run no relay, so ours' relay works alone.
  const offEnv = { ...baseEnv };
  const offProcesses = {
    customers: startProcess(
      'customers-api-events-off',
      process.execPath,
      [...apiNodeFlags, 'customers-api/dist/server.js'],
      {
        cwd: systemRoot,
        env: { ...offEnv, ...eventsEnv('customers'), EVENTS: 'off', PORT: String(offCustomersPort) },
      },
    ),
    orders: startProcess(
      'orders-api-events-off',
      process.execPath,
      [...apiNodeFlags, 'orders-api/dist/server.js'],
      {
        cwd: systemRoot,
        env: {
          ...offEnv,
          ...eventsEnv('orders'),
          ...webhooksEnv,
          EVENTS: 'off',
          PORT: String(offOrdersPort),
          CUSTOMERS_API_BASE: url(offCustomersPort),
        },
      },
    ),
  };
  const refEnv = { PATH: env.PATH, HOME: env.HOME, NODE_ENV: 'production', DATABASE_URL: databaseUrl };
  const reference = (name: string, port: number | undefined, extra: Record<string, string> = {}) =>
    startProcess(`reference-${name}`, process.execPath, [path.join(bundleDir, `${name}.mjs`)], {
      cwd: harnessRoot,
      env: { ...refEnv, PORT: String(port), ...extra },
    });
  const refProcesses = {
    customers: reference('customers-api', refCustomersPort),
    orders: reference('orders-api', refOrdersPort, { CUSTOMERS_API_BASE: url(refCustomersPort) }),
    orchestrator: reference('orchestrator', refOrchestratorPort, { ORDERS_API_BASE: url(refOrdersPort) }),
  };
  const ours: RunningSystem = {
    urls: { customers: url(customersPort), orders: url(ordersPort), orchestrator: url(orchestratorPort) },
    pids: {
      customers: oursProcesses.customers.child.pid!,
      orders: oursProcesses.orders.child.pid!,
      orchestrator: oursProcesses.orchestrator.child.pid!,
    },
    processes: oursProcesses,
  };
  const off: RunningSystem = {
    urls: { customers: url(offCustomersPort), orders: url(offOrdersPort), orchestrator: '' },
    pids: { customers: offProcesses.customers.child.pid!, orders: offProcesses.orders.child.pid! },
    processes: offProcesses,
  };
  const ref: RunningSystem = {
    urls: {
      customers: url(refCustomersPort),
      orders: url(refOrdersPort),
      orchestrator: url(refOrchestratorPort),
    },
    pids: {
      customers: refProcesses.customers.child.pid!,
      orders: refProcesses.orders.child.pid!,
      orchestrator: refProcesses.orchestrator.child.pid!,
    },
    processes: refProcesses,
  };
  const health = (base: string) => async () =>
    (await httpJson(`${base}/health`, { timeoutMs: 2000 })).status === 200;
  // Any answer from serverless-offline on an unknown route proves it listens, without
  // invoking (and so warming) the function.
  const listens = (base: string) => async () =>
    (await httpJson(`${base}/bench-readiness-probe`, { timeoutMs: 2000 })).status > 0;
  await Promise.all([
    waitUntil('Customers API', oursProcesses.customers, health(ours.urls.customers)),
    waitUntil('Orders API', oursProcesses.orders, health(ours.urls.orders)),
    waitUntil('orchestrator', oursProcesses.orchestrator, listens(ours.urls.orchestrator)),
    waitUntil('Customers API (EVENTS=off)', offProcesses.customers, health(off.urls.customers)),
    waitUntil('Orders API (EVENTS=off)', offProcesses.orders, health(off.urls.orders)),
    waitUntil('reference Customers API', refProcesses.customers, health(ref.urls.customers)),
    waitUntil('reference Orders API', refProcesses.orders, health(ref.urls.orders)),
    waitUntil('reference orchestrator', refProcesses.orchestrator, listens(ref.urls.orchestrator)),
  ]);
  log(
    `ready: ours ${JSON.stringify(ours.urls)}, ours with EVENTS=off ${JSON.stringify({ customers: off.urls.customers, orders: off.urls.orders })}, reference ${JSON.stringify(ref.urls)}`,
  );

  const mariadbdPid = settings.databasePid ?? findDatabaseServerPid();
  const databasePids: Record<string, number> = {
    ...(mariadbdPid === undefined ? {} : { mariadbd: mariadbdPid }),
    ...settings.extraPids,
  };
  const partPids = (system: RunningSystem): Record<string, number> =>
    Object.fromEntries(
      Object.entries(system.pids).filter((entry): entry is [string, number] => entry[1] !== undefined),
    );
  const rolePids = (system: RunningSystem): Record<string, number> => ({
    ...partPids(system),
    ...databasePids,
  });
  const rssTimer = setInterval(() => {
    const rssMiB: Record<string, number> = {};
    for (const [label, system] of [
      ['ours', ours],
      ['off', off],
      ['reference', ref],
    ] as const) {
      for (const [part, pid] of Object.entries(system.pids)) {
        const bytes = pid === undefined ? undefined : rssBytes(pid);
        if (bytes !== undefined) rssMiB[`${label}.${part}`] = bytes / 2 ** 20;
      }
    }
    if (mariadbdPid !== undefined) rssMiB.mariadbd = (rssBytes(mariadbdPid) ?? 0) / 2 ** 20;
    rssSamples.push({ t: (Date.now() - startedAt) / 1000, phase, rssMiB });
  }, 1000);
  rssTimer.unref();

  // Log in as the seed's development operator, through the real API.
  const login = await httpJson(`${ours.urls.customers}/auth/token`, {
    method: 'POST',
    body: { username: 'operator', password: 'operator-dev-password' },
  });
  if (login.status !== 200) throw new Error(`POST /auth/token answered ${login.status}: ${login.text}`);
  const token = (login.body as { access_token: string }).access_token;
  const auth = { authorization: `Bearer ${token}` };

  // Data, through the APIs.
  log(`creating ${settings.products} products and ${settings.customers} customers through the APIs…`);
  const created = async (response: Promise<Awaited<ReturnType<typeof httpJson>>>, what: string) => {
    const answer = await response;
    if (answer.status !== 201) throw new Error(`${what} answered ${answer.status}: ${answer.text}`);
    return (answer.body as { id: number }).id;
  };
  const productIds = await inBatches(settings.products, 8, (index) =>
    created(
      httpJson(`${ours.urls.orders}/products`, {
        method: 'POST',
        headers: auth,
        body: {
          sku: `BENCH-${runId}-${index}`,
          name: `Bench product ${index}`,
          price_cents: 100 + index,
          stock: 1_000_000,
        },
      }),
      'POST /products',
    ),
  );
  const customerIds = await inBatches(settings.customers, 8, (index) =>
    created(
      httpJson(`${ours.urls.customers}/customers`, {
        method: 'POST',
        headers: auth,
        body: { name: `Bench customer ${index}`, email: `bench-${runId}-${index}@example.test` },
      }),
      'POST /customers',
    ),
  );
  await inBatches(40, 4, (index) =>
    created(
      httpJson(`${ours.urls.orders}/orders`, {
        method: 'POST',
        headers: auth,
        body: {
          customer_id: customerIds[index % customerIds.length],
          items: [{ product_id: productIds[index]!, qty: 1 }],
        },
      }),
      'POST /orders',
    ),
  );

  // Cold calls: the first orchestrator calls after start (nothing has invoked the function yet).
  phase = 'cold calls';
  const orchestratorBody = (key: string) => ({
    customer_id: customerIds[0],
    items: [{ product_id: productIds[0], qty: 1 }],
    idempotency_key: key,
  });
  const coldCalls = async (system: RunningSystem, label: string, count = 3) => {
    const calls: Array<{ status: number; ms: number }> = [];
    for (let index = 0; index < count; index++) {
      const answer = await httpJson(`${system.urls.orchestrator}/orchestrator/create-and-confirm-order`, {
        method: 'POST',
        headers: auth,
        body: orchestratorBody(`${runId}-${label}-${index}`),
        freshConnection: true,
      });
      calls.push({ status: answer.status, ms: answer.milliseconds });
    }
    return calls;
  };
  const cold = { ours: await coldCalls(ours, 'cold-ours'), reference: await coldCalls(ref, 'cold-ref') };
  let lastOrchestratorUse = Date.now();
  log(
    `orchestrator first calls after start: ours ${cold.ours.map((c) => `${c.ms.toFixed(0)} ms (${c.status})`).join(', ')}; ` +
      `reference ${cold.reference.map((c) => `${c.ms.toFixed(0)} ms (${c.status})`).join(', ')}`,
  );

  // Scenarios.
  const getPaths = (prefix: string, ids: number[]) => ids.slice(0, 10).map((id) => `${prefix}/${id}`);
  const keyed =
    (kind: 'create-confirm' | 'orchestrate') =>
    (target: Target, round: number): Workload => ({
      kind,
      productIds,
      customerIds,
      keyPrefix: `${runId}-${kind === 'orchestrate' ? 'o' : 'c'}-${target[0]}${round}-${randomBytes(2).toString('hex')}`,
    });
  const allScenarios: Scenario[] = [
    {
      id: 'orchestrator-8',
      title: 'POST /orchestrator/create-and-confirm-order',
      connections: 8,
      targets: ['ours', 'reference'],
      part: 'orchestrator',
      workload: keyed('orchestrate'),
    },
    {
      id: 'get-product-8',
      title: 'GET /products/{id}',
      connections: 8,
      targets: ['ours', 'reference'],
      part: 'orders',
      workload: () => ({ kind: 'get', paths: getPaths('/products', productIds) }),
    },
    {
      id: 'get-product-32',
      title: 'GET /products/{id}',
      connections: 32,
      targets: ['ours', 'reference'],
      part: 'orders',
      workload: () => ({ kind: 'get', paths: getPaths('/products', productIds) }),
    },
    {
      id: 'get-customer-8',
      title: 'GET /customers/{id}',
      connections: 8,
      targets: ['ours', 'reference'],
      part: 'customers',
      workload: () => ({ kind: 'get', paths: getPaths('/customers', customerIds) }),
    },
    {
      id: 'list-orders-8',
      title: 'GET /orders?limit=20 (list page)',
      connections: 8,
      targets: ['ours'],
      part: 'orders',
      workload: () => ({ kind: 'get', paths: ['/orders?limit=20'] }),
    },
    {
      id: 'post-order-1-8',
      title: 'POST /orders (1 line)',
      connections: 8,
      targets: ['ours', 'off', 'reference', 'db'],
      part: 'orders',
      lines: 1,
      workload: () => ({ kind: 'create-order', lines: 1, productIds, customerIds }),
    },
    {
      id: 'post-order-50-8',
      title: 'POST /orders (50 lines)',
      connections: 8,
      targets: ['ours', 'reference', 'db'],
      part: 'orders',
      lines: 50,
      workload: () => ({ kind: 'create-order', lines: 50, productIds, customerIds }),
    },
    {
      id: 'create-confirm-8',
      title: 'POST /orders + confirm, keys (2 req/flow)',
      connections: 8,
      targets: ['ours', 'reference'],
      part: 'orders',
      requestsPerOperation: 2,
      workload: keyed('create-confirm'),
    },
  ];
  const scenarios = allScenarios.filter(
    (scenario) => settings.only === undefined || settings.only.includes(scenario.id),
  );
  const overload: Scenario = {
    id: `post-order-1-${settings.overloadConnections}`,
    title: 'POST /orders (1 line) overload',
    connections: settings.overloadConnections,
    targets: settings.overloadReference ? ['ours', 'reference'] : ['ours'],
    part: 'orders',
    lines: 1,
    workload: () => ({ kind: 'create-order', lines: 1, productIds, customerIds }),
  };

  const systemOf = (target: Target) => (target === 'ours' ? ours : target === 'off' ? off : ref);

  // ── The Orders API's outbox, read by the harness over a connection of its own. ──
  const relayRuns: RelayRun[] = [];
  if (hasOutbox) outboxConnection = await createConnection({ uri: databaseUrl, dateStrings: true });
  const outboxQuery = async <T>(statement: string, values: unknown[] = []): Promise<T> => {
    const [rows] = (await outboxConnection!.query(statement, values)) as unknown as [T[]];
    return rows[0]!;
  };
  const unpublished = async () =>
    Number(
      (await outboxQuery<{ n: number }>('SELECT COUNT(*) AS n FROM orders_outbox WHERE published_at IS NULL'))
        .n,
    );
  /**
   * Waits (at most `limitMs`) until no event of ours waits in the outbox. Returns how many
   * waited at first and how long it took; no wait when ours cannot publish (no NATS).
   */
  const outboxDrained = async (limitMs: number, begin = performance.now()) => {
    if (!relayPublishes) return { waiting: 0, seconds: 0, drained: false };
    const waiting = await unpublished();
    let left = waiting;
    while (left > 0 && performance.now() - begin < limitMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = (await outboxQuery<{ p: number } | undefined>(
        'SELECT position AS p FROM orders_outbox WHERE published_at IS NULL ORDER BY position LIMIT 1',
      ))
        ? 1
        : 0;
    }
    return { waiting, seconds: (performance.now() - begin) / 1000, drained: left === 0 };
  };
  /**
   * Samples the outbox once a second while a load runs: events written (rows inserted after
   * the start) and published (published_at after the start) since the previous sample, and
   * the lag, the age of the oldest unpublished event. `finish` takes the last sample when the
   * load ended and waits for the outbox to drain.
   */
  const startOutboxSampler = async () => {
    const backlog = await outboxDrained(OUTBOX_WAIT_MS);
    const start = await outboxQuery<{ now: string; top: number }>(
      'SELECT NOW(3) AS now, COALESCE(MAX(position), 0) AS top FROM orders_outbox',
    );
    const began = performance.now();
    const samples: OutboxSample[] = [];
    let previous = { t: 0, now: start.now, written: 0, published: 0 };
    const read = async () => {
      const row = await outboxQuery<{ now: string; written: number; published: number; lag: string | null }>(
        `SELECT NOW(3) AS now,
                (SELECT COUNT(*) FROM orders_outbox WHERE position > ?) AS written,
                (SELECT COUNT(*) FROM orders_outbox WHERE published_at > ?) AS published,
                (SELECT TIMESTAMPDIFF(MICROSECOND, occurred_at, NOW(3)) / 1e6 FROM orders_outbox
                  WHERE published_at IS NULL ORDER BY position LIMIT 1) AS lag`,
        [start.top, start.now],
      );
      const current = {
        t: (performance.now() - began) / 1000,
        now: row.now,
        written: Number(row.written),
        published: Number(row.published),
      };
      const span = Math.max(current.t - previous.t, 1e-3);
      samples.push({
        t: current.t,
        writtenPerSec: (current.written - previous.written) / span,
        publishedPerSec: (current.published - previous.published) / span,
        lagSeconds: row.lag === null ? 0 : Number(row.lag),
      });
      previous = current;
      return current;
    };
    let stopping = false;
    let wake = () => {};
    const loop = (async () => {
      for (;;) {
        const delay = 1000 - ((performance.now() - began) % 1000);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, delay).unref();
        });
        if (stopping) return;
        await read();
      }
    })();
    return {
      finish: async (round: number, load: RunResult): Promise<RelayRun> => {
        const loadEnded = performance.now();
        stopping = true;
        wake();
        await loop;
        const end = await read();
        // Rates over the load's own duration, which ended (within the load process's exit) at
        // the last sample: every event the load wrote, and those published within that span.
        const seconds = load.durationSeconds;
        const { published } = await outboxQuery<{ published: number }>(
          `SELECT COUNT(*) AS published FROM orders_outbox
           WHERE published_at > ? - INTERVAL ? MICROSECOND AND published_at <= ?`,
          [end.now, Math.round(seconds * 1e6), end.now],
        );
        const unpublishedAtEnd = await unpublished();
        const drain =
          relayPublishes && unpublishedAtEnd > 0 ? await outboxDrained(OUTBOX_WAIT_MS, loadEnded) : undefined;
        const lags = samples.map((sample) => sample.lagSeconds);
        return {
          round,
          seconds,
          written: end.written,
          published: Number(published),
          writtenPerSec: end.written / seconds,
          publishedPerSec: Number(published) / seconds,
          requests: load.requests,
          lagP50Seconds: median(lags),
          lagMaxSeconds: Math.max(...lags),
          unpublishedAtEnd,
          drainSeconds: !relayPublishes
            ? null
            : drain === undefined
              ? 0
              : drain.drained
                ? drain.seconds
                : null,
          backlogBefore: backlog.waiting,
          backlogWaitSeconds: backlog.seconds,
          samples,
        };
      },
    };
  };

  // ── Webhooks: one endpoint of ours (order.created) → the harness's receiver, enabled only
  // during ours' measured post-order-1-8 loads (and until their deliveries are made), so the
  // other scenarios run with the dispatcher as before (fan-out only, nothing to deliver). ──
  const webhookRounds: WebhookRound[] = [];
  const webhooks: WebhookFigures = { signatureChecked: false, rounds: webhookRounds };
  let webhookEndpointId: number | undefined;
  const setWebhookEnabled = async (enabled: boolean) => {
    const answer = await httpJson(`${ours.urls.orders}/webhook-endpoints/${webhookEndpointId}`, {
      method: 'PATCH',
      headers: auth,
      body: { enabled },
    });
    if (answer.status !== 200)
      throw new Error(
        `PATCH /webhook-endpoints/${webhookEndpointId} answered ${answer.status}: ${answer.text}`,
      );
  };
  if (!scenarios.some((scenario) => scenario.id === 'post-order-1-8'))
    webhooks.notMeasured = 'post-order-1-8 is not among BENCH_SCENARIOS';
  else if (!hasOutbox) webhooks.notMeasured = 'this tree has no events (no orders_outbox)';
  else if (natsProblem !== undefined)
    webhooks.notMeasured = `NATS did not answer at ${settings.natsUrl} at start (${natsProblem}): no fan-out, no webhook figures`;
  else {
    webhookReceiver = await startWebhookReceiver();
    const answer = await httpJson(`${ours.urls.orders}/webhook-endpoints`, {
      method: 'POST',
      headers: auth,
      body: {
        url: webhookReceiver.url,
        event_types: ['order.created'],
        description: `npm run bench ${runId}: delivery latency under POST /orders ×8`,
      },
    });
    if (answer.status === 201) {
      const endpoint = answer.body as { id: number; secret: string };
      webhookEndpointId = endpoint.id;
      webhookReceiver.setSecret(endpoint.secret);
      webhooks.endpointId = endpoint.id;
      webhooks.receiverUrl = webhookReceiver.url;
      webhooks.signatureChecked = webhookReceiver.verifies;
      await setWebhookEnabled(false);
      log(
        `webhook endpoint ${endpoint.id} → ${webhookReceiver.url} (order.created), enabled only in webhook rounds of ours' POST /orders ×8 after the measured rounds; ` +
          (webhookReceiver.verifies
            ? 'signatures verified with standardwebhooks'
            : 'standardwebhooks could not be imported: signatures NOT checked'),
      );
    } else {
      webhooks.notMeasured = `POST /webhook-endpoints answered ${answer.status}: ${answer.text.slice(0, 300)}`;
      log(`no webhook figures: ${webhooks.notMeasured}`);
    }
  }
  /**
   * After ours' load: waits (at most WEBHOOK_WAIT_MS from the load's end) until every
   * order.created the load wrote has its delivery row and none is PENDING, then disables the
   * endpoint again (a delivery left PENDING is not attempted while it is disabled).
   */
  const finishWebhookRound = async (
    round: number,
    top: number,
    loadFromMs: number,
    loadToMs: number,
  ): Promise<WebhookRound> => {
    const count = async () => {
      const written = await outboxQuery<{ n: number }>(
        `SELECT COUNT(*) AS n FROM orders_outbox WHERE position > ? AND type = 'order.created'`,
        [top],
      );
      const rows = await outboxQuery<{ n: number; pending: number | null }>(
        `SELECT COUNT(*) AS n, SUM(d.status = 'PENDING') AS pending
         FROM webhook_deliveries d JOIN orders_outbox o ON o.event_id = d.event_id
         WHERE d.endpoint_id = ? AND o.position > ?`,
        [webhookEndpointId, top],
      );
      return { written: Number(written.n), rows: Number(rows.n), pending: Number(rows.pending ?? 0) };
    };
    let state = await count();
    while (
      (state.rows < state.written || state.pending > 0) &&
      Date.now() - loadToMs < WEBHOOK_WAIT_MS &&
      !aborted
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await count();
    }
    const drained = state.rows >= state.written && state.pending === 0;
    await setWebhookEnabled(false);
    return {
      round,
      loadFromMs,
      loadToMs,
      eventsWritten: state.written,
      drainSeconds: drained ? (Date.now() - loadToMs) / 1000 : null,
      deliveryRows: state.rows,
      pendingAfterWait: state.pending,
    };
  };
  /** What the bench database says of the dispatcher's work: read before the APIs stop. */
  const dispatcherTally = async (): Promise<DispatcherTally> => {
    const rowsOf = async <T>(statement: string, values: unknown[] = []) =>
      ((await outboxConnection!.query(statement, values)) as unknown as [T[]])[0];
    const attempts = await rowsOf<{ status: number | null; n: number }>(
      `SELECT a.response_status AS status, COUNT(*) AS n FROM webhook_attempts a GROUP BY a.response_status`,
    );
    const deliveries = await rowsOf<{ status: string; n: number }>(
      `SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status`,
    );
    const durations = (
      await rowsOf<{ ms: number }>(`SELECT duration_ms AS ms FROM webhook_attempts ORDER BY duration_ms`)
    ).map((row) => Number(row.ms));
    // The stages of each delivery's first attempt, for the events of the measured loads (database clock).
    const stageRows = await rowsOf<Record<string, number | string>>(
      `SELECT TIMESTAMPDIFF(MICROSECOND, o.occurred_at, o.published_at) / 1000 AS relay,
              TIMESTAMPDIFF(MICROSECOND, o.published_at, d.created_at) / 1000 AS fanOut,
              TIMESTAMPDIFF(MICROSECOND, d.created_at, a.attempted_at) / 1000 AS queued,
              a.duration_ms AS attempt
       FROM webhook_deliveries d
       JOIN orders_outbox o ON o.event_id = d.event_id
       JOIN webhook_attempts a ON a.delivery_id = d.id AND a.attempt_number = 1
       WHERE d.endpoint_id = ?`,
      [webhookEndpointId],
    );
    const stages: DispatcherTally['stages'] = {};
    for (const [key, name] of [
      ['relay', 'commit → published'],
      ['fanOut', 'published → delivery row'],
      ['queued', 'row → attempt'],
      ['attempt', 'attempt (POST → 204)'],
    ] as const) {
      const values = stageRows
        .map((row) => Number(row[key]))
        .filter((value) => Number.isFinite(value))
        .sort((a, b) => a - b);
      if (values.length > 0)
        stages[name] = {
          p50: percentile(values, 0.5),
          p99: percentile(values, 0.99),
          max: values.at(-1)!,
          n: values.length,
        };
    }
    return {
      attempts: attempts.reduce((sum, row) => sum + Number(row.n), 0),
      attemptsByStatus: Object.fromEntries(
        attempts.map((row) => [row.status === null ? 'none' : String(row.status), Number(row.n)]),
      ),
      deliveries: deliveries.reduce((sum, row) => sum + Number(row.n), 0),
      deliveriesByStatus: Object.fromEntries(deliveries.map((row) => [row.status, Number(row.n)])),
      pendingAtEnd: Number(deliveries.find((row) => row.status === 'PENDING')?.n ?? 0),
      stages,
      attemptDurationMs: {
        p50: percentile(durations, 0.5),
        p99: percentile(durations, 0.99),
        max: durations.at(-1) ?? NaN,
      },
    };
  };

  /**
   * Waits until the processes under test are idle again: requests queued when the load
   * stopped (256 connections leave a backlog) must not run into the next measurement.
   */
  const settle = async (target: Target): Promise<number> => {
    if (target === 'db') return 0;
    const pids = Object.values(partPids(systemOf(target)));
    const begin = Date.now();
    // Ours publishes what the load wrote after it: the relay's backlog is part of its work.
    if (target === 'ours') await outboxDrained(OUTBOX_WAIT_MS);
    const busy = () => pids.reduce((sum, pid) => sum + (cpuMicros(pid) ?? 0), 0);
    while (Date.now() - begin < 15_000) {
      const before = busy();
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (busy() - before < 25_000) break; // under 10 % of one core
    }
    return Date.now() - begin;
  };
  const measure = async (
    scenario: Scenario,
    target: Target,
    round: number,
    seconds: number,
    /** A webhook round: the endpoint enabled during the load (not a measured round). */
    options: { webhooks?: boolean } = {},
  ): Promise<RunResult> => {
    if (target === 'db') {
      return runLoadProcess(
        'db-limit',
        {
          databaseUrl,
          connections: scenario.connections,
          seconds,
          lines: scenario.lines ?? 1,
          productIds,
          customerIds,
          pids: databasePids,
        },
        seconds,
      );
    }
    const system = systemOf(target);
    // The relay under the 8-connection order load: the outbox sampled once a second.
    const sampled =
      target === 'ours' && scenario.id === 'post-order-1-8' && round > 0 && hasOutbox && !options.webhooks
        ? await startOutboxSampler()
        : undefined;
    // A webhook round: the deliveries of the load's order.created events, timed to the receiver.
    const webhookStart =
      options.webhooks && webhookEndpointId !== undefined
        ? await (async () => {
            const { top } = await outboxQuery<{ top: number }>(
              'SELECT COALESCE(MAX(position), 0) AS top FROM orders_outbox',
            );
            await setWebhookEnabled(true);
            return { top: Number(top), fromMs: Date.now() };
          })()
        : undefined;
    const result = await runLoadProcess(
      'load',
      {
        url: system.urls[scenario.part],
        connections: scenario.connections,
        seconds,
        headers: auth,
        workload: scenario.workload(target, round),
        pids: rolePids(system),
      },
      seconds,
    );
    const loadToMs = Date.now();
    if (sampled) {
      const run = await sampled.finish(round, result);
      relayRuns.push(run);
      log(`round ${round} relay: ${describeRelayRun(run)}`);
    }
    if (webhookStart) {
      const hooks = await finishWebhookRound(round, webhookStart.top, webhookStart.fromMs, loadToMs);
      webhookRounds.push(hooks);
      log(
        `round ${round} webhooks: ${hooks.deliveryRows} deliveries of ${hooks.eventsWritten} order.created, ` +
          `${hooks.pendingAfterWait} pending; ` +
          (hooks.drainSeconds === null
            ? `NOT all delivered within ${WEBHOOK_WAIT_MS / 1000} s of the load's end`
            : `all delivered ${hooks.drainSeconds.toFixed(2)} s after the load's end`) +
          `; receiver so far ${webhookReceiver!.counts.received} requests`,
      );
    }
    result.settleMs = await settle(target);
    if (scenario.part === 'orchestrator') lastOrchestratorUse = Date.now();
    return result;
  };
  const describe = (result: RunResult) =>
    `${result.reqPerSec.toFixed(0)} req/s, p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(1)} ms` +
    `${result.non2xx + result.errors > 0 ? `, non-2xx ${result.non2xx}, errors ${result.errors} ${JSON.stringify(result.statuses)}` : ''}` +
    `, other load ${result.otherBusyPercent.toFixed(0)}%` +
    `${(result.settleMs ?? 0) > 1000 ? `, backlog drained in ${((result.settleMs ?? 0) / 1000).toFixed(1)} s` : ''}`;

  const measurements: Measurement[] = [];
  const warmups: Measurement[] = [];
  if (settings.warmupSeconds > 0) {
    phase = 'warm-up';
    log(`warming up every scenario for ${settings.warmupSeconds} s…`);
    for (const scenario of scenarios.filter((s) => s.connections === 8)) {
      for (const target of scenario.targets) {
        const result = await measure(scenario, target, 0, settings.warmupSeconds);
        warmups.push({ scenario: scenario.id, target, round: 0, result });
      }
    }
  }

  for (let round = 1; round <= settings.rounds; round++) {
    phase = `round ${round}`;
    for (const scenario of scenarios) {
      // Alternate who goes first: ours then the reference, then the other way round.
      const order = round % 2 === 1 ? scenario.targets : [...scenario.targets].reverse();
      for (const target of order) {
        const result = await measure(scenario, target, round, settings.seconds);
        measurements.push({ scenario: scenario.id, target, round, result });
        log(
          `round ${round}/${settings.rounds} ${scenario.title} ×${scenario.connections} ${target}: ${describe(result)}`,
        );
      }
    }
  }

  // Webhook delivery latency: the same POST /orders load on ours with the endpoint enabled,
  // after the measured rounds, so the deliveries' work (signing, POSTs, their records) is in
  // none of the figures above (nor in the events on ÷ off ratio).
  const webhookScenario = scenarios.find((scenario) => scenario.id === 'post-order-1-8');
  if (webhookScenario && webhookEndpointId !== undefined) {
    for (let round = 1; round <= settings.rounds; round++) {
      phase = `webhooks ${round}`;
      const result = await measure(webhookScenario, 'ours', round, settings.seconds, { webhooks: true });
      log(`webhook round ${round}/${settings.rounds}: ours while delivering: ${describe(result)}`);
    }
  }

  // Overload: many connections on POST /orders, RSS sampled each second meanwhile.
  const overloadRuns: Measurement[] = [];
  const overloadWindows: Record<string, { from: number; to: number }> = {};
  if (settings.overloadSeconds > 0) {
    for (const target of overload.targets) {
      phase = `overload ${target}`;
      const from = (Date.now() - startedAt) / 1000;
      const result = await measure(overload, target, 1, settings.overloadSeconds);
      overloadWindows[target] = { from, to: (Date.now() - startedAt) / 1000 };
      overloadRuns.push({ scenario: overload.id, target, round: 1, result });
      log(
        `${overload.title} ×${overload.connections} ${target} for ${settings.overloadSeconds} s: ${describe(result)}`,
      );
    }
  }

  // A cold call after the orchestrator sat idle (serverless-offline drops idle workers after 60 s).
  phase = 'idle cold call';
  let idleCold: { idleSeconds: number; calls: Array<{ status: number; ms: number }> } | undefined;
  if (settings.idleColdSeconds > 0) {
    const idleMs = Date.now() - lastOrchestratorUse;
    const wait = settings.idleColdSeconds * 1000 - idleMs;
    if (wait > 0) {
      log(
        `waiting ${(wait / 1000).toFixed(0)} s more so the orchestrator has been idle ${settings.idleColdSeconds} s…`,
      );
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const idleSeconds = (Date.now() - lastOrchestratorUse) / 1000;
    idleCold = { idleSeconds, calls: await coldCalls(ours, 'idle-ours') };
    log(
      `orchestrator after ${idleSeconds.toFixed(0)} s idle: ${idleCold.calls.map((c) => `${c.ms.toFixed(0)} ms (${c.status})`).join(', ')}`,
    );
  }

  // Stop everything (SIGTERM: graceful drain), then read the logs.
  phase = 'stop';
  clearInterval(rssTimer);
  machine.loadAverageAtEnd = loadAverage();
  if (webhookReceiver && webhookEndpointId !== undefined) {
    try {
      webhooks.dispatcher = await dispatcherTally();
    } catch (error) {
      log(`could not read the dispatcher's tables: ${(error as Error).message}`);
    }
    Object.assign(webhooks, summarizeWebhooks(webhookReceiver, webhookRounds));
  }
  await cleanUp();
  const logs = await summarizeLogs();

  // Report.
  const rows = aggregate(scenarios, measurements);
  const overloadRows = aggregate([overload], overloadRuns);
  const table = renderTable([...rows, ...overloadRows]);
  const eventsFigures: EventsFigures = {
    natsUrl: settings.natsUrl,
    natsProblem,
    hasOutbox,
    relayRuns,
    webhooks,
  };
  const summary = targetSummary({
    rows,
    overloadRows,
    overloadRuns,
    overloadWindows,
    cold,
    idleCold,
    events: eventsFigures,
  });
  const totalSeconds = (Date.now() - startedAt) / 1000;
  const header =
    `npm run bench — system ${systemRoot} (${gitDescription(systemRoot)}), ${new Date(startedAt).toISOString()}\n` +
    `${settings.rounds} round(s) × ${settings.seconds} s per measurement, alternating ours/reference (and ours with EVENTS=off on POST /orders, 1 line); medians over rounds. ` +
    `Machine: ${machine.cpus} cores, load average ${machine.loadAverageAtStart} at start, ${machine.loadAverageAtEnd} at end.\n` +
    `µs columns: CPU per request of each process from /proc (utime+stime); for "reference" rows the reference's own processes, ` +
    `for "DB limit" rows loadgen is the mysql2 client. ±%: half the min–max spread of req/s over rounds. ` +
    `other%: machine CPU (of all cores) used by processes outside the benchmark (others' tests).`;
  const printed = [
    header,
    '',
    table,
    '',
    summary,
    '',
    logs.text,
    '',
    `Total run time ${(totalSeconds / 60).toFixed(1)} min.`,
  ].join('\n');
  console.log(`\n${printed}\n`);

  const outputBase = path.join(resultsDir, stamp);
  const report = {
    meta: {
      startedAt: new Date(startedAt).toISOString(),
      totalSeconds,
      system: systemRoot,
      systemVersion: gitDescription(systemRoot),
      harnessVersion: gitDescription(harnessRoot),
      node: process.version,
      machine,
      settings,
      database: databaseName,
      mariadbdPid,
    },
    table: printed,
    rows,
    overload: { rows: overloadRows, windows: overloadWindows },
    coldCalls: cold,
    idleColdCall: idleCold,
    events: {
      natsUrl: settings.natsUrl,
      natsAtStart: natsProblem === undefined ? 'answered' : `did not answer: ${natsProblem}`,
      hasOutbox,
      streams: eventStreams,
      streamCleanup,
      eventsOffCopy: {
        urls: { customers: off.urls.customers, orders: off.urls.orders },
      },
      onOffRatio:
        rows.find((r) => r.scenario === 'post-order-1-8' && r.target === 'ours')?.ratioToEventsOff ?? null,
      onOffTarget: EVENTS_ON_OFF_TARGET,
      relay: natsProblem === undefined ? (summarizeRelay(relayRuns) ?? null) : null,
      relayRuns,
      webhooks,
    },
    measurements,
    warmups,
    overloadRuns,
    rssSamples,
    processExits: stopReport,
    logs: logs.data,
  };
  writeFileSync(`${outputBase}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${outputBase}.txt`, `${printed}\n`);
  writeFileSync(
    `${outputBase}.svg`,
    renderSvg(
      [...rows, ...overloadRows],
      `${gitDescription(systemRoot)} · ${new Date(startedAt).toISOString()} · ${machine.cpus} cores`,
    ),
  );
  if (args.json) copyFileSync(`${outputBase}.json`, path.resolve(args.json));
  if (args.table) copyFileSync(`${outputBase}.txt`, path.resolve(args.table));
  log(
    `wrote ${path.relative(harnessRoot, outputBase)}.{json,txt,svg}${args.json ? ` and ${args.json}` : ''}${args.table ? ` and ${args.table}` : ''}`,
  );
}

// ───────────────────────────── summaries ─────────────────────────────

/**
 * RSS of each process over a window. Flat means the peak of its second half is no more than
 * max(8 MiB, 5 %) above the peak of its first half: a process reaches its working size under
 * a new load (V8 sizes its heap to the allocation rate), then must not grow; a leak keeps
 * raising the peak. Peaks, not single samples, because a collected heap is a saw-tooth.
 */
function rssSummary(window: { from: number; to: number } | undefined, prefix: string) {
  if (!window) return [];
  const samples = rssSamples.filter((sample) => sample.t >= window.from && sample.t <= window.to + 0.5);
  if (samples.length < 4) return [];
  const names = Object.keys(samples[0]!.rssMiB).filter(
    (name) => name.startsWith(prefix) || name === 'mariadbd',
  );
  return names.flatMap((name) => {
    const values = samples.map((sample) => sample.rssMiB[name]).filter((v): v is number => v !== undefined);
    // A process that stopped answering /proc mid-run (it exited) has no verdict; its exit is reported.
    if (values.length < samples.length) return [];
    const half = Math.floor(values.length / 2);
    const firstHalfPeak = Math.max(...values.slice(0, half));
    const secondHalfPeak = Math.max(...values.slice(half));
    const change = secondHalfPeak - firstHalfPeak;
    const verdict =
      change <= Math.max(8, firstHalfPeak * 0.05)
        ? 'flat'
        : `grew +${change.toFixed(0)} after the first half`;
    return {
      name,
      firstMiB: values[0]!,
      lastMiB: values.at(-1)!,
      maxMiB: Math.max(...values),
      firstHalfPeakMiB: firstHalfPeak,
      secondHalfPeakMiB: secondHalfPeak,
      samples: values.length,
      verdict,
    };
  });
}

function targetSummary(input: {
  rows: Aggregate[];
  overloadRows: Aggregate[];
  overloadRuns: Measurement[];
  overloadWindows: Record<string, { from: number; to: number }>;
  cold: { ours: Array<{ status: number; ms: number }>; reference: Array<{ status: number; ms: number }> };
  idleCold?: { idleSeconds: number; calls: Array<{ status: number; ms: number }> };
  events: EventsFigures;
}): string {
  const { rows, overloadRows, cold, idleCold } = input;
  const row = (scenario: string, target: Target) =>
    rows.find((r) => r.scenario === scenario && r.target === target);
  const n = (value: number | undefined, digits = 0) =>
    value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
  const x = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(2)}×`);
  const lines = ['Targets'];

  const getOurs = row('get-product-8', 'ours');
  const getRef = row('get-product-8', 'reference');
  lines.push(
    `  CPU per GET /products/{id} in the Orders API (8 conn): ours ${n(getOurs?.cpuMicrosPerRequest.orders)} µs/req, ` +
      `reference ${n(getRef?.cpuMicrosPerRequest.orders)} µs/req` +
      (getOurs && getRef
        ? ` (${x(getOurs.cpuMicrosPerRequest.orders! / getRef.cpuMicrosPerRequest.orders!)})`
        : ''),
  );
  const getLine = (scenario: string) => {
    const o = row(scenario, 'ours');
    const r = row(scenario, 'reference');
    return o
      ? `${o.title} ×${o.connections}: ${n(o.reqPerSec)} req/s (${x(o.ratioToReference)} the reference's ${n(r?.reqPerSec)})`
      : '';
  };
  lines.push(`  GET req/s: ${['get-product-8', 'get-product-32', 'get-customer-8'].map(getLine).join('; ')}`);
  const list = row('list-orders-8', 'ours');
  if (list)
    lines.push(
      `  List page GET /orders?limit=20 ×8: ${n(list.reqPerSec)} req/s, p50 ${n(list.p50Ms, 2)} ms, orders ${n(list.cpuMicrosPerRequest.orders)} µs/req`,
    );
  for (const scenario of ['post-order-1-8', 'post-order-50-8']) {
    const o = row(scenario, 'ours');
    const r = row(scenario, 'reference');
    const d = row(scenario, 'db');
    if (!o) continue;
    lines.push(
      `  ${o.title} ×8: ours ${n(o.reqPerSec)} req/s = ${x(o.ratioToDbLimit)} the DB limit (${n(d?.reqPerSec)} tx/s over mysql2, 8 connections); ` +
        `reference ${n(r?.reqPerSec)} req/s = ${x(r?.ratioToDbLimit)} the DB limit; ours ÷ reference ${x(o.ratioToReference)}`,
    );
  }
  lines.push(...eventsSummary(input.events, row('post-order-1-8', 'ours'), row('post-order-1-8', 'off')));
  if (row('post-order-1-8', 'ours')) lines.push(...webhookSummaryLines(input.events.webhooks));
  const cc = row('create-confirm-8', 'ours');
  const ccRef = row('create-confirm-8', 'reference');
  if (cc) {
    lines.push(
      `  Create + confirm with keys ×8: ours ${n(cc.reqPerSec / 2)} flows/s (${n(cc.reqPerSec)} req/s), reference ${n((ccRef?.reqPerSec ?? NaN) / 2)} flows/s (${x(cc.ratioToReference)})`,
    );
  }
  const orch = row('orchestrator-8', 'ours');
  const orchRef = row('orchestrator-8', 'reference');
  lines.push(
    `  Orchestrator ×8: ours ${n(orch?.reqPerSec)} req/s, p50 ${n(orch?.p50Ms, 1)} ms, p99 ${n(orch?.p99Ms, 1)} ms, ` +
      `${n(orch?.cpuMicrosPerRequest.orchestrator)} µs CPU/req in serverless-offline; reference ${n(orchRef?.reqPerSec)} req/s, ` +
      `p50 ${n(orchRef?.p50Ms, 1)} ms (${x(orch?.ratioToReference)})`,
  );
  const calls = (list: Array<{ status: number; ms: number }>) =>
    list.map((c) => `${c.ms.toFixed(0)} ms${c.status === 201 ? '' : ` (${c.status})`}`).join(' / ');
  lines.push(
    `  Orchestrator cold calls, first 3 after start: ours ${calls(cold.ours)}; reference ${calls(cold.reference)}` +
      (idleCold
        ? `; ours after ${idleCold.idleSeconds.toFixed(0)} s idle: ${calls(idleCold.calls)}`
        : '; after >60 s idle: not measured'),
  );
  const eight = row('post-order-1-8', 'ours');
  const eightRef = row('post-order-1-8', 'reference');
  for (const over of overloadRows) {
    const base = over.target === 'ours' ? eight : eightRef;
    const statuses = Object.entries(over.statuses)
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    lines.push(
      `  ${over.connections} connections on POST /orders for ${settings.overloadSeconds} s, ${over.target}: ${n(over.reqPerSec)} req/s ` +
        `(${x(base ? over.reqPerSec / base.reqPerSec : undefined)} the 8-connection figure), p50 ${n(over.p50Ms, 0)} ms, p99 ${n(over.p99Ms, 0)} ms, ` +
        `errors ${over.errors}, timeouts ${over.timeouts}, non-2xx ${over.non2xx} [${statuses}]`,
    );
    const rss = rssSummary(input.overloadWindows[over.target], `${over.target}.`);
    if (rss.length > 0) {
      lines.push(
        `    RSS MiB first→last, peak of the first half → of the second half: ${rss
          .map(
            (r) =>
              `${r.name} ${r.firstMiB.toFixed(0)}→${r.lastMiB.toFixed(0)}, ${r.firstHalfPeakMiB.toFixed(0)}→${r.secondHalfPeakMiB.toFixed(0)} ${r.verdict}`,
          )
          .join('; ')}`,
      );
    }
  }
  const whole = rssSamples.filter((s) => s.phase.startsWith('round') || s.phase.startsWith('overload'));
  if (whole.length > 1) {
    const first = whole[0]!.rssMiB;
    const last = whole.at(-1)!.rssMiB;
    lines.push(
      `  RSS MiB from round 1 to the end of the overload: ${Object.keys(first)
        .filter((name) => name.startsWith('ours.'))
        .map((name) => `${name.slice(5)} ${first[name]!.toFixed(0)}→${(last[name] ?? NaN).toFixed(0)}`)
        .join('; ')}`,
    );
  }
  const warnings = [...rows, ...overloadRows].filter(
    (r) => r.errors + r.non2xx > 0 && !r.scenario.startsWith('post-order-1-2'),
  );
  for (const w of warnings) {
    lines.push(
      `  ! ${w.title} ×${w.connections} ${w.target}: ${w.errors} errors, ${w.non2xx} non-2xx ${JSON.stringify(w.statuses)}`,
    );
  }
  return lines.join('\n');
}

interface EventsFigures {
  natsUrl: string;
  /** Why NATS did not answer at start; undefined when it did. */
  natsProblem?: string;
  hasOutbox: boolean;
  relayRuns: RelayRun[];
  /** Webhook delivery latency under ours' post-order-1-8 (bench/webhooks.ts). */
  webhooks: WebhookFigures;
}

/** The events lines of Targets: POST /orders with events on ÷ off, and the relay under that load. */
function eventsSummary(
  events: EventsFigures,
  on: Aggregate | undefined,
  off: Aggregate | undefined,
): string[] {
  if (!on || !off) return [];
  const lines: string[] = [];
  const ratio = on.reqPerSec / off.reqPerSec;
  lines.push(
    `  POST /orders (1 line) ×8, events on ÷ EVENTS=off (a second copy of ours, same database, same rounds): ` +
      `${on.reqPerSec.toFixed(0)} req/s (p50 ${on.p50Ms.toFixed(2)} ms) ÷ ${off.reqPerSec.toFixed(0)} req/s (p50 ${off.p50Ms.toFixed(2)} ms) = ` +
      `${ratio.toFixed(2)}×, target ≥ ${EVENTS_ON_OFF_TARGET.toFixed(2)}×` +
      (ratio < EVENTS_ON_OFF_TARGET ? ' ! BELOW THE TARGET' : '') +
      `; Orders API ${on.cpuMicrosPerRequest.orders?.toFixed(0) ?? '–'} vs ${off.cpuMicrosPerRequest.orders?.toFixed(0) ?? '–'} µs/req, ` +
      `mariadbd ${on.cpuMicrosPerRequest.mariadbd?.toFixed(0) ?? '–'} vs ${off.cpuMicrosPerRequest.mariadbd?.toFixed(0) ?? '–'} µs/req`,
  );
  if (!events.hasOutbox) {
    lines.push('  Event relay: this tree has no orders_outbox (before events): no relay figures');
    return lines;
  }
  const relay = summarizeRelay(events.relayRuns);
  if (!relay) return lines;
  const per = (value: number) => `${value.toFixed(0)} events/s`;
  if (events.natsProblem !== undefined) {
    lines.push(
      `  Event relay under that load: NATS did not answer at ${events.natsUrl} at start (${events.natsProblem}): ` +
        `events waited in the outbox, no relay figures (published, lag, drain); written ${per(relay.writtenPerSec)} ` +
        `(${relay.eventsPerRequest.toFixed(2)} per order)`,
    );
    return lines;
  }
  const drain =
    relay.drainMedianSeconds === null
      ? `the outbox was NOT empty within ${OUTBOX_WAIT_MS / 1000} s after the load in some round`
      : `outbox empty ${relay.drainMedianSeconds.toFixed(2)} s after the load stopped (max ${relay.drainMaxSeconds!.toFixed(2)} s)`;
  lines.push(
    `  Event relay under that load (ours, Orders API outbox → NATS ${events.natsUrl}), medians of ${relay.rounds} round(s): ` +
      `written ${per(relay.writtenPerSec)} (${relay.eventsPerRequest.toFixed(2)} per order), published ${per(relay.publishedPerSec)} ` +
      `(${(relay.publishedPerSec / relay.writtenPerSec).toFixed(2)}× written); lag (age of the oldest unpublished event, sampled each second) ` +
      `p50 ${relay.lagP50Seconds.toFixed(2)} s, max ${relay.lagMaxSeconds.toFixed(2)} s; ${drain}`,
  );
  return lines;
}

async function summarizeLogs(): Promise<{ text: string; data: Record<string, unknown> }> {
  const data: Record<string, unknown> = {};
  const lines: string[] = [
    'Logs (LOG_LEVEL=info, one file per process in ' + path.relative(harnessRoot, logsDir) + ')',
  ];
  for (const name of [
    'customers-api',
    'orders-api',
    'orchestrator',
    'customers-api-events-off',
    'orders-api-events-off',
    'reference-customers-api',
    'reference-orders-api',
    'reference-orchestrator',
  ]) {
    const file = path.join(logsDir, `${name}.log`);
    if (!existsSync(file)) continue;
    const levels: Record<string, number> = {};
    const messages = new Map<string, number>();
    let count = 0;
    const reader = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of reader) {
      count++;
      const level = /"level":"(\w+)"/.exec(line)?.[1] ?? (/error|warn/i.test(line) ? 'text-warn' : 'other');
      levels[level] = (levels[level] ?? 0) + 1;
      if (!['info', 'debug', 'trace', 'other'].includes(level)) {
        const message = (/"message":"([^"]{0,160})/.exec(line)?.[1] ?? line.slice(0, 160)).replace(
          /\d{3,}/g,
          'N',
        );
        messages.set(message, (messages.get(message) ?? 0) + 1);
      }
    }
    const top = [...messages].sort((a, b) => b[1] - a[1]).slice(0, 4);
    data[name] = { lines: count, bytes: statSync(file).size, levels, topWarnings: top };
    lines.push(
      `  ${name}: ${count} lines, ${(statSync(file).size / 2 ** 20).toFixed(1)} MiB, levels ${JSON.stringify(levels)}` +
        top.map(([message, times]) => `\n    ${times}× ${message}`).join(''),
    );
  }
  const exits = stopReport.map(
    (e) =>
      `${e.name} ${e.signal ?? `exit ${e.code}`}${e.afterStopMs === undefined ? '' : ` ${(e.afterStopMs / 1000).toFixed(1)} s after SIGTERM`}`,
  );
  lines.push(`  Stopped: ${exits.join('; ')}`);
  data.exits = stopReport;
  return { text: lines.join('\n'), data };
}

try {
  await main();
} catch (error) {
  console.error(`\nbench failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
  log(`done; database ${databaseName} ${settings.keepDatabase ? 'kept' : 'dropped'}, every process stopped`);
}
