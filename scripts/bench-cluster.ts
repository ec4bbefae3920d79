// `npm run bench:cluster`: what the system costs on a MariaDB Galera cluster (issue 22 §5).
// See bench/README.md.
//
// Runs `npm run bench` (scripts/bench.ts, unchanged) twice, back to back, on the same subset
// of scenarios: first against one server (BENCH_DATABASE_SERVER, the shared server by
// default), then against a 3-node Galera cluster of its own on loopback ports
// (service-kit/src/testing/galera-cluster.ts) through HAProxy with node 1 the only writer
// (`startHaproxy`: the single-writer topology of deploy/haproxy/haproxy.cfg). The bench
// creates, migrates, seeds and drops its database through the URL it is given: through
// HAProxy that is the writer, and Galera replicates it to every node. Afterwards it checks
// that every node holds the same orders and that the drop reached every node, then prints
// one table: ours on one server vs ours on the cluster, per scenario. The cluster is
// destroyed at the end, on errors and on Ctrl-C (a second Ctrl-C forces).
//
//   npm run bench:cluster                       ~8 minutes on 2 cores
//   BENCH_ROUNDS=1 npm run bench:cluster        ~5 minutes
//   npm run bench:cluster -- --json out.json --table out.txt
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';
import {
  NO_GALERA_BINARIES,
  NO_HAPROXY,
  clusterBinaries,
  startGaleraCluster,
  startHaproxy,
  type GaleraCluster,
  type Haproxy,
} from '@b2b/service-kit/testing';
import type { Aggregate } from '../bench/report';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const startedAt = Date.now();

const { values: args } = parseArgs({
  options: {
    json: { type: 'string' },
    table: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(
    'npm run bench:cluster [-- --json out.json --table out.txt]: see bench/README.md, "npm run bench:cluster".',
  );
  process.exit(0);
}

const env = process.env;
/** The scenarios that tell what a cluster costs: the writes (with and without keys), a read, the orchestrator. */
const DEFAULT_SCENARIOS = 'orchestrator-8,get-product-8,post-order-1-8,post-order-50-8,create-confirm-8';
/** What both runs get: a subset, 2 rounds, no overload and no idle cold call unless asked for. */
const benchSettings: Record<string, string> = {
  BENCH_SCENARIOS: env.BENCH_SCENARIOS || DEFAULT_SCENARIOS,
  BENCH_ROUNDS: env.BENCH_ROUNDS || '2',
  BENCH_OVERLOAD_SECONDS: env.BENCH_OVERLOAD_SECONDS || '0',
  BENCH_IDLE_COLD_SECONDS: env.BENCH_IDLE_COLD_SECONDS || '0',
};
const singleServer = (env.BENCH_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
/**
 * Each node's [mysqld] options beyond the harness's own: the InnoDB sizes of a stock MariaDB
 * 10.11 server such as the shared one (the harness's test-sized 32 MiB buffer pool and 8 MiB
 * redo log would make the cluster pay for checkpoints one server does not). Add more with
 * BENCH_CLUSTER_SERVER_OPTIONS, `;`-separated, e.g. `wsrep_slave_threads=4`.
 */
const nodeOptions = [
  'innodb_buffer_pool_size=128M',
  'innodb_log_file_size=96M',
  ...(env.BENCH_CLUSTER_SERVER_OPTIONS ?? '')
    .split(';')
    .map((option) => option.trim())
    .filter(Boolean),
];

const stamp = new Date(startedAt).toISOString().replace(/[:.]/g, '-').replace('Z', '');
const resultsDir = path.join(root, 'bench/results');
const outputBase = path.join(resultsDir, `${stamp}-cluster`);
mkdirSync(resultsDir, { recursive: true });

const log = (message: string) =>
  console.log(`[bench:cluster ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${message}`);

// ───────────────────────────── what runs, and how it stops ─────────────────────────────

let cluster: GaleraCluster | undefined;
let haproxy: Haproxy | undefined;
let bench: ChildProcess | undefined;
let interrupts = 0;
let tearingDown: Promise<void> | undefined;

function tearDown(): Promise<void> {
  tearingDown ??= (async () => {
    if (haproxy) {
      log('stopping HAProxy and its health agents…');
      await haproxy.stop().catch((error: Error) => console.error(`HAProxy: ${error.message}`));
    }
    if (cluster) {
      log(`destroying the cluster (${cluster.directory})…`);
      await cluster.destroy().catch((error: Error) => console.error(`cluster: ${error.message}`));
    }
  })();
  return tearingDown;
}

let lastInterruptAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // One Ctrl-C may arrive more than once (from the terminal, and relayed by npm and tsx).
    if (Date.now() - lastInterruptAt < 1_000) return;
    lastInterruptAt = Date.now();
    interrupts++;
    // The bench runs in a process group of its own (the terminal's Ctrl-C does not reach it):
    // it hears each interrupt exactly once, from here. The first makes it stop its processes
    // and drop its database; a second makes it kill them at once.
    if (bench?.pid !== undefined && bench.exitCode === null && bench.signalCode === null) {
      try {
        process.kill(bench.pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
    if (interrupts === 1) {
      console.error(`\n${signal}: stopping the bench, then the cluster… (again to force)`);
      return;
    }
    // Forced: whatever the main flow is waiting for, the cluster goes now.
    void tearDown().then(() => process.exit(130));
  });
}

const checkInterrupted = () => {
  if (interrupts > 0) throw new Error('interrupted');
};

/** Runs scripts/bench.ts as one plain node process (tsx as a loader) and resolves with its JSON report. */
async function runBench(label: string, extraEnv: Record<string, string>): Promise<BenchReport> {
  checkInterrupted();
  const jsonFile = path.join(resultsDir, `${stamp}-cluster-${label}.json`);
  rmSync(jsonFile, { force: true });
  log(
    `npm run bench against ${label === 'one-server' ? 'one server' : 'the cluster'}: ${describeEnv(extraEnv)}`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--json', jsonFile], {
    cwd: root,
    env: { ...env, ...benchSettings, ...extraEnv },
    stdio: 'inherit',
    detached: true,
  });
  bench = child;
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode) => resolve(exitCode));
    child.once('error', () => resolve(null));
  });
  bench = undefined;
  checkInterrupted();
  if (code !== 0 || !existsSync(jsonFile)) throw new Error(`npm run bench (${label}) failed with ${code}`);
  return JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchReport;
}

const describeEnv = (values: Record<string, string>) =>
  Object.entries({ ...benchSettings, ...values })
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');

interface BenchReport {
  meta: { database: string; totalSeconds: number; machine: { loadAverageAtStart: string } };
  rows: Aggregate[];
}

// ───────────────────────────── the database servers ─────────────────────────────

async function query<T>(url: string, statement: string): Promise<T[]> {
  const connection = await createConnection({ uri: url, connectTimeout: 5_000 });
  try {
    const [rows] = await connection.query(statement);
    return rows as T[];
  } finally {
    await connection.end().catch(() => undefined);
  }
}

/**
 * The pid of the server at `url` when it runs on this machine (its @@pid_file names a live
 * mariadbd or mysqld): the bench then reads that server's CPU, not the first mariadbd it finds.
 */
async function localServerPid(url: string): Promise<number | undefined> {
  try {
    const [row] = await query<{ file: string }>(url, 'SELECT @@pid_file AS file');
    const pid = Number(readFileSync(row!.file, 'utf8').trim());
    const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return name === 'mariadbd' || name === 'mysqld' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Galera's own counters on a node (cumulative since the node started). */
async function galeraCounters(url: string): Promise<Record<string, number>> {
  const rows = await query<{ Variable_name: string; Value: string }>(
    url,
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts', 'wsrep_flow_control_paused_ns', 'wsrep_flow_control_sent', 'wsrep_replicated', 'wsrep_received', 'wsrep_last_committed')",
  );
  return Object.fromEntries(rows.map((row) => [row.Variable_name.replace(/^wsrep_/, ''), Number(row.Value)]));
}

interface NodeContents {
  node: string;
  orders: number;
  items: number;
  stock: string;
  keys: number;
}

/** What the bench left in `database` on one node: the same everywhere once the cluster has settled. */
async function contentsOf(node: string, url: string, database: string): Promise<NodeContents> {
  const [row] = await query<{ orders: number; items: number; stock: string; keys: number }>(
    url,
    `SELECT (SELECT COUNT(*) FROM \`${database}\`.orders) AS orders,
            (SELECT COUNT(*) FROM \`${database}\`.order_items) AS items,
            (SELECT CAST(SUM(stock) AS CHAR) FROM \`${database}\`.products) AS stock,
            (SELECT COUNT(*) FROM \`${database}\`.idempotency_keys) AS \`keys\``,
  );
  return {
    node,
    orders: Number(row!.orders),
    items: Number(row!.items),
    stock: row!.stock,
    keys: Number(row!.keys),
  };
}

// ───────────────────────────── the run ─────────────────────────────

interface ClusterChecks {
  timings: Record<string, number>;
  counters: Record<string, number>;
  contents: NodeContents[];
  identical: boolean;
  droppedEverywhere: boolean;
}

async function main() {
  const binaries = clusterBinaries();
  if (!binaries) throw new Error(NO_GALERA_BINARIES);
  if (!binaries.haproxy) throw new Error(NO_HAPROXY);

  // 1. One server, as `npm run bench` runs (it builds the tree once, for both runs).
  const singlePid = await localServerPid(singleServer);
  const single = await runBench('one-server', {
    BENCH_DATABASE_SERVER: singleServer,
    ...(singlePid === undefined ? {} : { BENCH_DATABASE_PID: String(singlePid) }),
  });

  // 2. The cluster: 3 nodes, HAProxy in front, node 1 the writer.
  checkInterrupted();
  log(`starting a 3-node Galera cluster (${nodeOptions.join(', ')})…`);
  cluster = await startGaleraCluster({ nodes: 3, serverOptions: nodeOptions });
  checkInterrupted();
  log(
    `cluster Synced (${JSON.stringify(cluster.timings)}); starting HAProxy (node1 writer, node2 and node3 backups)…`,
  );
  haproxy = await startHaproxy(cluster);
  await haproxy.waitForStatus({ node1: 'UP', node2: 'UP', node3: 'UP' }, 30_000);
  const [writer, ...others] = cluster.nodes;
  const extraPids = [
    ...others.map((node) => `${node.name}=${node.pid}`),
    `haproxy=${haproxy.pid}`,
    ...haproxy.agents.map((agent, at) => `agent${at + 1}=${agent.service.process.pid}`),
  ];
  const countersBefore = await galeraCounters(writer!.url);
  const clustered = await runBench('cluster', {
    BENCH_DATABASE_SERVER: haproxy.url,
    BENCH_SKIP_BUILD: '1',
    BENCH_DATABASE_PID: String(writer!.pid),
    BENCH_EXTRA_PIDS: extraPids.join(','),
    // Kept, to compare the nodes below; dropped here afterwards.
    BENCH_KEEP_DATABASE: '1',
  });
  const countersAfter = await galeraCounters(writer!.url);

  // 3. Every node holds what the writer acknowledged; the drop reaches every node.
  const database = clustered.meta.database;
  await cluster.waitUntilSettled(60_000);
  const contents = await Promise.all(cluster.nodes.map((node) => contentsOf(node.name, node.url, database)));
  const identical = contents.every(
    (one) =>
      one.orders === contents[0]!.orders &&
      one.items === contents[0]!.items &&
      one.stock === contents[0]!.stock &&
      one.keys === contents[0]!.keys,
  );
  await query(haproxy.url, `DROP DATABASE IF EXISTS \`${database}\``);
  await cluster.waitUntilSettled(60_000);
  const remaining = await Promise.all(
    cluster.nodes.map((node) =>
      query<Record<string, string>>(node.url, `SHOW DATABASES LIKE '${database.replace(/_/g, '\\_')}'`),
    ),
  );
  const checks: ClusterChecks = {
    timings: cluster.timings,
    counters: Object.fromEntries(
      Object.keys(countersAfter).map((name) => [name, countersAfter[name]! - (countersBefore[name] ?? 0)]),
    ),
    contents,
    identical,
    droppedEverywhere: remaining.every((rows) => rows.length === 0),
  };
  log(
    `database ${database} dropped through HAProxy (${checks.droppedEverywhere ? 'gone from every node' : 'STILL ON A NODE'})`,
  );

  await tearDown();

  const printed = report(single, clustered, checks);
  console.log(`\n${printed}\n`);
  writeFileSync(`${outputBase}.txt`, `${printed}\n`);
  writeFileSync(
    `${outputBase}.json`,
    `${JSON.stringify({ startedAt: new Date(startedAt).toISOString(), benchSettings, nodeOptions, single, cluster: clustered, checks }, null, 2)}\n`,
  );
  if (args.json) copyFileSync(`${outputBase}.json`, path.resolve(args.json));
  if (args.table) copyFileSync(`${outputBase}.txt`, path.resolve(args.table));
  // The per-run JSON files are inside the combined one.
  for (const label of ['one-server', 'cluster'])
    rmSync(path.join(resultsDir, `${stamp}-cluster-${label}.json`), { force: true });
  log(
    `wrote ${path.relative(root, outputBase)}.{txt,json}${args.json ? ` and ${args.json}` : ''}${args.table ? ` and ${args.table}` : ''}`,
  );
}

// ───────────────────────────── the table ─────────────────────────────

const fixed = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
const ms = (value: number | undefined) =>
  value === undefined
    ? '–'
    : value < 10
      ? value.toFixed(2)
      : value < 100
        ? value.toFixed(1)
        : value.toFixed(0);
const times = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`;
const sum = (row: Aggregate | undefined, roles: string[]) =>
  row === undefined
    ? undefined
    : roles.reduce((total, role) => total + (row.cpuMicrosPerRequest[role] ?? 0), 0);

function renderColumns(header: string[], lines: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ');
  return [format(header), widths.map((width) => '─'.repeat(width)).join('  '), ...lines.map(format)].join(
    '\n',
  );
}

function report(single: BenchReport, clustered: BenchReport, checks: ClusterChecks): string {
  const find = (result: BenchReport, scenario: string, target: string) =>
    result.rows.find((row) => row.scenario === scenario && row.target === target);
  const scenarios = single.rows.filter((row) => row.target === 'ours');
  const apis = ['customers', 'orders', 'orchestrator'];
  const lines: string[][] = [];
  for (const one of scenarios) {
    const many = find(clustered, one.scenario, 'ours');
    for (const [label, row] of [
      ['one server', one],
      ['cluster via HAProxy', many],
    ] as const) {
      lines.push([
        row === one ? one.title : '',
        row === one ? String(one.connections) : '',
        label,
        fixed(row?.reqPerSec),
        ms(row?.p50Ms),
        ms(row?.p99Ms),
        row ? `${row.errors}/${row.timeouts}/${row.non2xx}` : '–',
        fixed(sum(row, apis)),
        fixed(row?.cpuMicrosPerRequest.mariadbd),
        row === one ? '' : fixed(sum(row, ['node2', 'node3'])),
        row === one ? '' : fixed(sum(row, ['haproxy', 'agent1', 'agent2', 'agent3'])),
        row?.ratioToReference === undefined ? '' : times(row.ratioToReference),
        row === one ? '' : times(many && many.reqPerSec / one.reqPerSec),
      ]);
    }
  }
  const oursTable = renderColumns(
    [
      'scenario (ours)',
      'conn',
      'database',
      'req/s',
      'p50 ms',
      'p99 ms',
      'err/tmo/non2xx',
      'µs APIs',
      'µs db (writer)',
      'µs node2+3',
      'µs haproxy+agents',
      '÷ref',
      'cluster ÷ one',
    ],
    lines,
  );

  const context: string[][] = [];
  for (const target of ['reference', 'db'] as const) {
    for (const one of single.rows.filter((row) => row.target === target)) {
      const many = find(clustered, one.scenario, target);
      context.push([
        one.title,
        String(one.connections),
        target === 'db' ? 'DB limit' : 'reference',
        fixed(one.reqPerSec),
        fixed(many?.reqPerSec),
        times(many && many.reqPerSec / one.reqPerSec),
        `${ms(one.p50Ms)} → ${ms(many?.p50Ms)}`,
        `${fixed(one.cpuMicrosPerRequest.mariadbd)} → ${fixed(many?.cpuMicrosPerRequest.mariadbd)}`,
      ]);
    }
  }
  const contextTable = renderColumns(
    ['scenario', 'conn', 'system', 'one server', 'cluster', 'cluster ÷ one', 'p50 ms', 'µs db (writer)'],
    context,
  );

  const counters = checks.counters;
  return [
    `npm run bench:cluster — ${new Date(startedAt).toISOString()}; ${describeEnv({})}`,
    `One server: ${singleServer} (load average ${single.meta.machine.loadAverageAtStart} at start). ` +
      `Cluster: 3 MariaDB Galera nodes on loopback (${nodeOptions.join(', ')}), HAProxy in front, node1 the only writer ` +
      `(load average ${clustered.meta.machine.loadAverageAtStart} at start). Medians over the rounds of each run; the two runs back to back.`,
    'µs columns: CPU per request. APIs: Customers + Orders API + orchestrator; db (writer): the server the bench writes to ' +
      '(the one server, or node1); node2+3: the two other nodes applying the write sets; haproxy+agents: HAProxy and the three ' +
      'galera-health agents it checks every 500 ms. ÷ref: ours ÷ the reference in the same run (one statement per round trip).',
    '',
    oursTable,
    '',
    'The reference (one statement per round trip wherever it runs) and the DB limit (the order write over mysql2, no HTTP) on the same two databases:',
    '',
    contextTable,
    '',
    `Galera on node1 during the cluster run: ${counters.replicated ?? '–'} write sets replicated, ` +
      `${counters.local_cert_failures ?? '–'} certification failures, ${counters.local_bf_aborts ?? '–'} brute-force aborts, ` +
      `flow control sent ${counters.flow_control_sent ?? '–'}, paused ${fixed((counters.flow_control_paused_ns ?? NaN) / 1e6)} ms.`,
    `Every node after the run: ${checks.contents
      .map(
        (one) => `${one.node} ${one.orders} orders, ${one.items} items, stock ${one.stock}, ${one.keys} keys`,
      )
      .join(
        '; ',
      )} — ${checks.identical ? 'identical' : 'DIFFERENT'}; the bench database dropped through HAProxy ` +
      `${checks.droppedEverywhere ? 'is gone from every node' : 'is STILL on a node'}.`,
    `Cluster start: ${Object.entries(checks.timings)
      .map(([phase, took]) => `${phase} ${(took / 1000).toFixed(1)} s`)
      .join(', ')}. Total ${((Date.now() - startedAt) / 60_000).toFixed(1)} min.`,
  ].join('\n');
}

try {
  await main();
} catch (error) {
  console.error(`\nbench:cluster failed: ${(error as Error).message}`);
  process.exitCode = interrupts > 0 ? 130 : 1;
} finally {
  await tearDown();
  log('done; every process of the cluster stopped and its files deleted');
}
