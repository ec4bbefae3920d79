import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectDatabase, sql } from '../database';
import { migrateDatabase } from '../migrations';
import { pollUntil } from './poll';
import { freePort, freePorts, startChildService, type ChildService } from './processes';
import { findBinary } from './private-database-server';

const run = promisify(execFile);

/**
 * A MariaDB Galera cluster of the test's own on loopback ports (issue 22 §4): node 1 is
 * bootstrapped (`--wsrep-new-cluster`), the others join it one at a time from empty data
 * directories (a full rsync state transfer, SST), and a test may kill, stop and restart
 * any node, lose and regain quorum, and put HAProxy with the galera-health agent
 * (scripts/galera-health.mjs) in front of it, as deploy/haproxy/haproxy.cfg does in
 * production. Only the processes started here are ever signalled, by their pid (each
 * mariadbd runs in a process group of its own, so an rsync daemon an interrupted state
 * transfer left behind goes with it). The machine's /etc/mysql is never read: each node
 * has its own `--defaults-file`.
 */

/** Where galera-4 packages put the wsrep provider (Debian/Ubuntu first). */
const PROVIDER_PATHS = [
  '/usr/lib/galera/libgalera_smm.so',
  '/usr/lib/galera-4/libgalera_smm.so',
  '/usr/lib64/galera-4/libgalera_smm.so',
  '/usr/lib64/galera/libgalera_smm.so',
  '/usr/lib/x86_64-linux-gnu/galera/libgalera_smm.so',
  '/usr/lib/aarch64-linux-gnu/galera/libgalera_smm.so',
  '/usr/local/lib/galera/libgalera_smm.so',
  '/usr/local/lib/libgalera_smm.so',
  '/opt/homebrew/lib/libgalera_smm.so',
];

/** The uid and gid of the `mysql` user, or undefined when there is none. */
function mysqlUser(): { uid: number; gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('mysql:'));
    const [, , uid, gid] = line?.split(':') ?? [];
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
  } catch {
    return undefined;
  }
}

const isRoot = () => process.getuid?.() === 0;

export interface GaleraBinaries {
  server: string;
  installDb: string;
  /** galera-4's wsrep provider, libgalera_smm.so. */
  provider: string;
  rsync: string;
  /** Debian's haproxy, or undefined: the cluster runs without it, the HAProxy tests cannot. */
  haproxy: string | undefined;
}

/**
 * What a Galera cluster of the test's own needs, or undefined when this machine lacks any of
 * it (galera-4, mariadbd, mariadb-install-db, rsync; the `mysql` user when we are root, since
 * the joiner's rsync daemon fails as root). The cluster tests then skip, saying
 * NO_GALERA_BINARIES.
 */
export function clusterBinaries(): GaleraBinaries | undefined {
  const server = findBinary(['mariadbd', 'mysqld']);
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const provider = process.env.WSREP_PROVIDER ?? PROVIDER_PATHS.find((candidate) => existsSync(candidate));
  const rsync = findBinary(['rsync']);
  if (!server || !installDb || !provider || !existsSync(provider) || !rsync) return undefined;
  if (isRoot() && !mysqlUser()) return undefined;
  return { server, installDb, provider, rsync, haproxy: findBinary(['haproxy']) };
}

export const NO_GALERA_BINARIES =
  'no galera-4 (libgalera_smm.so), mariadbd, mariadb-install-db or rsync on this machine (or no mysql user to run them as): the cluster tests need a Galera cluster of their own; .ci/run installs galera-4, rsync and haproxy from Debian';

export const NO_HAPROXY =
  'no haproxy on this machine: .ci/run installs it from Debian (apt-get install haproxy)';

/** SHOW GLOBAL STATUS of a node, the parts the harness and the health agent look at. */
export interface GaleraNodeState {
  /** wsrep_ready: the node accepts queries (it is in the Primary component and not joining). */
  ready: boolean;
  /** wsrep_local_state: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced. */
  localState: number;
  /** wsrep_local_state_comment, e.g. 'Synced', 'Initialized' (non-Primary), 'Donor/Desynced'. */
  localStateComment: string;
  /** wsrep_cluster_size: the members of this node's current view. */
  clusterSize: number;
  /** wsrep_cluster_status: 'Primary', 'non-Primary' or 'Disconnected'. */
  clusterStatus: string;
  /** wsrep_last_committed: the seqno of the last transaction this node applied. */
  lastCommitted: number;
}

/** How a node got its state on its latest start, read from what it printed. */
export type StateTransfer = 'SST' | 'IST' | 'none' | 'unknown';

export interface GaleraNode {
  /** 1-based, as in the node names: node 1 is the one the cluster was bootstrapped from. */
  readonly index: number;
  /** `node<index>`: the wsrep_node_name and HAProxy's server name. */
  readonly name: string;
  /** `mysql://root@127.0.0.1:<port>`, no database selected. */
  readonly url: string;
  readonly port: number;
  /** Galera's group communication port (gmcast.listen_addr), IST receiver and rsync SST ports. */
  readonly gcommPort: number;
  readonly istPort: number;
  readonly sstPort: number;
  /** Its data directory (grastate.dat, gvwstate.dat, galera.cache, the InnoDB files). */
  readonly dataDirectory: string;
  /** The mariadbd pid while it runs. */
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** Everything the node printed, every start included (wsrep-recover runs too). */
  output(): string;
  /** What the node printed since its latest start began (its wsrep-recover run included). */
  startOutput(): string;
  /** The `<uuid>:<seqno>` wsrep-recover found before the latest start, if it ran and found one. */
  readonly recoveredPosition: string | undefined;
  /** How long the latest start took, in ms, until it accepted connections (and was Synced when awaited). */
  readonly lastStartMs: number | undefined;
  /** How the node got its state on its latest start (IST after a kill and a recovered start). */
  stateTransfer(): StateTransfer;
  /** Its grastate.dat now (undefined before the first start). */
  savedState(): SavedState | undefined;
  /**
   * SIGKILL, as a crashed host; resolves once the process has exited. Galera marks
   * grastate.dat unsafe (uuid all zeros) while a node applies a DDL: killed then, the node
   * needs a full SST to rejoin. `cluster.waitUntilSettled()` first, for a kill that must
   * rejoin by IST.
   */
  kill(): Promise<void>;
  /** SIGTERM, MariaDB's normal shutdown (the node leaves the cluster); resolves once it has exited. */
  stop(): Promise<void>;
  /**
   * Starts the node again on its data directory and rejoins the cluster: wsrep-recover
   * first (`mariadbd --wsrep-recover` reads the last committed position from InnoDB, which
   * grastate.dat does not have after a crash), then `--wsrep-start-position=<uuid:seqno>` so
   * a donor sends only the missing write sets (IST) from its gcache instead of a full copy.
   * Resolves once the node accepts connections and, unless `synced: false`, is Synced.
   */
  start(options?: { synced?: boolean; timeoutMs?: number }): Promise<void>;
  /** Polls until wsrep_ready=ON and wsrep_local_state=4 (Synced); rejects with the last state after `timeoutMs`. */
  waitUntilSynced(timeoutMs?: number): Promise<GaleraNodeState>;
  /** The node's wsrep state now; rejects when it cannot be asked within ~2 s. */
  state(): Promise<GaleraNodeState>;
}

export interface GaleraCluster {
  readonly nodes: GaleraNode[];
  /** The temporary directory holding every node's files (and HAProxy's configuration). */
  readonly directory: string;
  readonly binaries: GaleraBinaries;
  /** ms per phase of the start: `bootstrap node1`, `join node2`, … */
  readonly timings: Record<string, number>;
  /**
   * Creates database `name` on the first running node with every migration applied and
   * waits until every running node has it; returns its URL on each node (`urls[i]` is on
   * `nodes[i]`).
   */
  createDatabase(name: string): Promise<string[]>;
  /** Until every running node is Synced and sees all of them in its view. */
  waitUntilSynced(timeoutMs?: number): Promise<void>;
  /**
   * Until every running node is Synced, has applied every write set committed anywhere when
   * the call began, and has its grastate.dat marked safe (no DDL under way): a node killed
   * afterwards rejoins by IST.
   */
  waitUntilSettled(timeoutMs?: number): Promise<void>;
  /**
   * Brings a cluster back after quorum was lost (see recoverQuorum below); resolves once
   * every node runs and is Synced in one Primary component. Returns how it did it.
   */
  recoverQuorum(options?: { timeoutMs?: number; waitBeforeBootstrapMs?: number }): Promise<QuorumRecovery>;
  /**
   * `SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'` on `node`: its non-Primary
   * component becomes the Primary one. Only on the most advanced node (highest
   * wsrep_last_committed) of the nodes that are up, or writes committed elsewhere are lost.
   * Set again while Galera refuses it between views; rejects after `timeoutMs` (30 s).
   */
  bootstrapFrom(node: GaleraNode, timeoutMs?: number): Promise<void>;
  /** Stops every process of the cluster (SIGKILL: the files go too) and deletes its files. Safe to call twice. */
  destroy(): Promise<void>;
}

export interface QuorumRecovery {
  /** The nodes that were restarted (with their wsrep-recover positions). */
  restarted: string[];
  /** The node pc.bootstrap=YES was set on, when the cluster did not re-form by itself. */
  bootstrapped: string | undefined;
  /** ms from the call until every node was Synced. */
  ms: number;
}

export interface StartGaleraClusterOptions {
  /** 3 by default; at least 1. */
  nodes?: number;
  /** Extra `[mysqld]` lines for every node, e.g. `wsrep_slave_threads=4`. */
  serverOptions?: string[];
  /** Extra `wsrep_provider_options`, `key=value;…`, appended to the harness's own. */
  providerOptions?: string;
  /** How long each node may take to join (its full state transfer); 90 s by default. */
  joinTimeoutMs?: number;
}

// Small enough for a test: ~26 MB of files per node.
const SERVER_OPTIONS = ['innodb_buffer_pool_size=32M', 'innodb_log_file_size=8M', 'skip-name-resolve'];
/**
 * gcache.size: the write sets a donor keeps for IST; 64 MB covers any test's writes while a
 * node is down. The failure detection is ~2× faster than Galera's defaults (keepalive 1 s,
 * suspect 5 s, inactive 15 s, install 7.5 s): a killed node is suspected after 3 s (writes
 * everywhere wait that long for it, and a lone survivor goes non-Primary then) and forgotten
 * after 6 s — a killed node restarted at once cannot rejoin before its old incarnation is
 * forgotten. Production keeps the defaults (deploy/haproxy/haproxy.cfg).
 */
const PROVIDER_OPTIONS = [
  'gcache.size=64M',
  'evs.keepalive_period=PT1S',
  'evs.suspect_timeout=PT3S',
  'evs.inactive_timeout=PT6S',
  'evs.inactive_check_period=PT0.5S',
  'evs.install_timeout=PT3S',
].join(';');
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const STATE_TIMEOUT_MS = 2_000;

/** Pids of every process started here that still runs, killed if this process exits without destroy(). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number) {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const group of liveGroups) signalGroup(group, 'SIGKILL');
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Runs one query on `url` over a connection of its own, bounded in time; closes the connection. */
async function queryOnce<T = Record<string, unknown>>(
  url: string,
  query: ReturnType<typeof sql>,
): Promise<T[]> {
  const db = connectDatabase(url, {
    poolSize: 1,
    acquireTimeoutMs: STATE_TIMEOUT_MS,
    statementTimeoutMs: STATE_TIMEOUT_MS,
  });
  try {
    return (await db.query(query)) as T[];
  } finally {
    await db.dispose().catch(() => undefined);
  }
}

/** A node's wsrep state from SHOW GLOBAL STATUS (also what scripts/galera-health.mjs reads). */
export async function galeraNodeState(url: string): Promise<GaleraNodeState> {
  const rows = await queryOnce<{ Variable_name: string; Value: string }>(
    url,
    sql`SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state', 'wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_last_committed')`,
  );
  const status = new Map(rows.map((row) => [row.Variable_name.toLowerCase(), row.Value]));
  return {
    ready: status.get('wsrep_ready') === 'ON',
    localState: Number(status.get('wsrep_local_state') ?? 0),
    localStateComment: status.get('wsrep_local_state_comment') ?? '',
    clusterSize: Number(status.get('wsrep_cluster_size') ?? 0),
    clusterStatus: status.get('wsrep_cluster_status') ?? '',
    lastCommitted: Number(status.get('wsrep_last_committed') ?? -1),
  };
}

const RECOVERED_POSITION =
  /WSREP: Recovered position:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:-?\d+)/;
const NO_POSITION = /^0{8}-0{4}-0{4}-0{4}-0{12}:|:-1$/;

/**
 * How a node got its state on one start, from its log: the rsync joiner script runs either
 * way (the donor decides) and says which it did; `Local state: 00000000-…:-1` means the node
 * had no usable position (its grastate.dat was marked unsafe, e.g. killed during a DDL), so a
 * full copy was the only way.
 */
function stateTransferOf(log: string): StateTransfer {
  // MariaDB says "SST received" after an IST too: the SST script ran, and bypassed the copy.
  if (/rsync SST completed on joiner|Local state: 0{8}-0{4}-0{4}-0{4}-0{12}:-1/.test(log)) return 'SST';
  if (/rsync IST completed on joiner|Receiving IST: \d+ writesets|IST received/.test(log)) return 'IST';
  if (/state transfer needed: no|ready for connections/.test(log)) return 'none';
  return 'unknown';
}

/** grastate.dat of a data directory: `uuid` is all zeros while Galera deems the data unsafe to reuse. */
export function readSavedState(dataDirectory: string): SavedState | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dataDirectory, 'grastate.dat'), 'utf8');
  } catch {
    return undefined;
  }
  return {
    uuid: /^uuid:\s*(\S+)/m.exec(text)?.[1] ?? '',
    seqno: Number(/^seqno:\s*(-?\d+)/m.exec(text)?.[1] ?? -1),
    safeToBootstrap: /^safe_to_bootstrap:\s*1/m.test(text),
  };
}

export interface SavedState {
  uuid: string;
  seqno: number;
  safeToBootstrap: boolean;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Starts a Galera cluster of `nodes` nodes (3 by default) on loopback ports: node 1
 * bootstrapped (~0.5 s), the others joined one at a time, each by a full rsync SST from a
 * donor (4–7 s each for a fresh data set on a 2-core machine; it grows with the data).
 * Resolves once every node is Synced in one Primary component of them all. Call `destroy()`
 * in afterAll.
 */
export async function startGaleraCluster(options: StartGaleraClusterOptions = {}): Promise<GaleraCluster> {
  const binaries = clusterBinaries();
  if (!binaries) throw new Error(NO_GALERA_BINARIES);
  const count = options.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`a cluster needs at least one node, not ${count}`);
  }
  const owner = isRoot() ? mysqlUser() : undefined;
  const directory = await mkdtemp(path.join(tmpdir(), 'b2b-galera-'));
  // The nodes run as user mysql when we are root, and must reach their directories.
  await chmod(directory, 0o755);
  const ports = await freePorts(count * 4);
  const clusterName = path.basename(directory);
  const gcommAddress = ports
    .slice(0, count)
    .map((_port, index) => `127.0.0.1:${ports[count + index]}`)
    .join(',');
  const timings: Record<string, number> = {};
  const nodes: NodeProcess[] = [];
  for (let index = 1; index <= count; index += 1) {
    const [port, gcommPort, istPort, sstPort] = [0, count, 2 * count, 3 * count].map(
      (offset) => ports[offset + index - 1]!,
    );
    nodes.push(
      new NodeProcess({
        index,
        directory: path.join(directory, `node${index}`),
        binaries,
        owner,
        port: port!,
        gcommPort: gcommPort!,
        istPort: istPort!,
        sstPort: sstPort!,
        config: [
          ...(owner ? ['user=mysql'] : []),
          `port=${port}`,
          'bind-address=127.0.0.1',
          ...SERVER_OPTIONS,
          'default_storage_engine=InnoDB',
          'binlog_format=ROW',
          'innodb_autoinc_lock_mode=2',
          'wsrep_on=ON',
          `wsrep_provider=${binaries.provider}`,
          `wsrep_cluster_name=${clusterName}`,
          `wsrep_cluster_address=gcomm://${gcommAddress}`,
          `wsrep_node_name=node${index}`,
          `wsrep_node_address=127.0.0.1:${gcommPort}`,
          `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${gcommPort};ist.recv_addr=127.0.0.1:${istPort};${PROVIDER_OPTIONS}${options.providerOptions ? `;${options.providerOptions}` : ''}"`,
          'wsrep_sst_method=rsync',
          `wsrep_sst_receive_address=127.0.0.1:${sstPort}`,
          ...(options.serverOptions ?? []),
        ],
      }),
    );
  }

  const destroy = async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await rm(directory, { recursive: true, force: true });
  };

  const runningNodes = () => nodes.filter((node) => node.isRunning());

  const waitUntilSynced = async (timeoutMs = 60_000) => {
    let lastSeen = '';
    await pollUntil(
      'the cluster Synced',
      async () => {
        const running = runningNodes();
        const states = await Promise.all(running.map((node) => node.state().catch((error: Error) => error)));
        lastSeen = running
          .map((node, at) => {
            const state = states[at];
            return `${node.name}: ${state instanceof Error ? state.message : JSON.stringify(state)}`;
          })
          .join('\n');
        const isSynced = states.every(
          (state) =>
            !(state instanceof Error) &&
            state.ready &&
            state.localState === 4 &&
            state.clusterStatus === 'Primary' &&
            state.clusterSize === running.length,
        );
        return isSynced || undefined;
      },
      { timeoutMs, lastSeen: () => lastSeen },
    );
  };

  const waitUntilSettled = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    await waitUntilSynced(timeoutMs);
    // Every write set committed anywhere when the call began: applied everywhere. (Not "all
    // equal": under a steady load of writes that may never be seen at one instant.)
    const reference = Math.max(
      ...(await Promise.all(runningNodes().map(async (node) => (await node.state()).lastCommitted))),
    );
    let lastSeen = '';
    await pollUntil(
      `the cluster settled (seqno ${reference} everywhere, grastate.dat safe)`,
      async () => {
        const running = runningNodes();
        const states = await Promise.all(running.map((node) => node.state().catch(() => undefined)));
        lastSeen = running
          .map(
            (node, at) => `${node.name}: ${JSON.stringify(states[at])} ${JSON.stringify(node.savedState())}`,
          )
          .join('\n');
        const hasApplied = states.every((state) => state !== undefined && state.lastCommitted >= reference);
        const isSafe = running.every((node) => {
          const saved = node.savedState();
          return saved !== undefined && saved.uuid !== ZERO_UUID && saved.uuid !== '';
        });
        return (isSafe && hasApplied) || undefined;
      },
      { timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: 50, lastSeen: () => lastSeen },
    );
  };

  /**
   * Sets pc.bootstrap=YES on `node` until it reports a Primary component. Galera refuses the
   * SET ("Incorrect arguments to SET") while the node is between views, as it may be while
   * the restarted nodes connect to it: asked again, not given up on.
   */
  const bootstrapFrom = async (node: GaleraNode, timeoutMs = 30_000) => {
    let lastSeen = '';
    await pollUntil(
      `${node.name} Primary after pc.bootstrap=YES`,
      async () => {
        const state = await node.state().catch((error: Error) => error);
        if (!(state instanceof Error) && state.clusterStatus === 'Primary') return true;
        lastSeen = state instanceof Error ? state.message : JSON.stringify(state);
        await queryOnce(node.url, sql`SET GLOBAL wsrep_provider_options = 'pc.bootstrap=YES'`).catch(
          (error: Error) => (lastSeen += `; SET refused: ${error.message}`),
        );
        return undefined;
      },
      { timeoutMs, intervalMs: 250, lastSeen: () => lastSeen },
    );
  };

  /**
   * Quorum lost (a majority of the nodes killed): the survivors stay up, non-Primary
   * (wsrep_ready=OFF, `SELECT 1` answers, tables answer errno 1047). The killed nodes are
   * restarted, all at once, each from its wsrep-recover position; they saved the last
   * Primary view (gvwstate.dat, pc.recovery=true by default), so once every member of that
   * view is back, Galera re-forms the Primary component by itself and the restarted nodes
   * catch up by IST from a survivor. Only when it does not within `waitBeforeBootstrapMs`
   * (a member is gone for good, or its view file was lost) is the most advanced node
   * bootstrapped by hand: `SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'` on the
   * running node with the highest wsrep_last_committed; the others then join it.
   */
  const recoverQuorum = async ({ timeoutMs = 90_000, waitBeforeBootstrapMs = 20_000 } = {}) => {
    const startedAt = Date.now();
    const down = nodes.filter((node) => !node.isRunning());
    const starts = down.map((node) => node.start({ synced: false, timeoutMs }));
    // A start fails only when the node exits or never accepts connections: report it.
    const failed = Promise.all(starts).then(
      () => new Promise<never>(() => undefined),
      (error: unknown) => Promise.reject(error),
    );
    let bootstrapped: string | undefined;
    const formed = await Promise.race([
      failed,
      waitUntilSynced(waitBeforeBootstrapMs).then(
        () => true,
        () => false,
      ),
    ]);
    if (!formed) {
      const candidates = await Promise.all(
        runningNodes().map(async (node) => ({ node, state: await node.state().catch(() => undefined) })),
      );
      const best = candidates
        .filter((candidate) => candidate.state !== undefined)
        .sort((a, b) => b.state!.lastCommitted - a.state!.lastCommitted)[0];
      if (!best) throw new Error('no node answers: nothing to bootstrap the cluster from');
      // The restarted nodes cannot be asked (no connections before a Primary component), but
      // wsrep-recover told where each one stopped: never bootstrap a node behind one of them.
      const ahead = down.find(
        (node) => Number(node.recoveredPosition?.split(':')[1] ?? -1) > best.state!.lastCommitted,
      );
      if (ahead) {
        throw new Error(
          `${ahead.name} (recovered at ${ahead.recoveredPosition}) is ahead of every node that answers (${best.node.name} at ${best.state!.lastCommitted}): stop all nodes and start ${ahead.name} with --wsrep-new-cluster`,
        );
      }
      if (best.state!.clusterStatus !== 'Primary') {
        await bootstrapFrom(best.node, Math.max(1_000, timeoutMs - (Date.now() - startedAt)));
        bootstrapped = best.node.name;
      }
    }
    await Promise.race([failed, Promise.all(starts)]);
    await waitUntilSynced(Math.max(1_000, timeoutMs - (Date.now() - startedAt)));
    for (const node of down) node.finishStart();
    return { restarted: down.map((node) => node.name), bootstrapped, ms: Date.now() - startedAt };
  };

  const createDatabase = async (name: string) => {
    const first = runningNodes()[0];
    if (!first) throw new Error('no node of the cluster runs');
    await queryOnce(
      first.url,
      sql`CREATE DATABASE ${sql.ident(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    const db = connectDatabase(`${first.url}/${name}`, { poolSize: 1 });
    try {
      await migrateDatabase(db);
    } finally {
      await db.dispose();
    }
    // Every node applies the DDL in the same order, and marks its state safe again after it.
    await waitUntilSettled();
    return nodes.map((node) => `${node.url}/${name}`);
  };

  try {
    await Promise.all(nodes.map((node) => node.prepareDirectory()));
    // Node 1: a fresh data directory, root without a password over TCP; the joiners copy it.
    const [first, ...others] = nodes as [NodeProcess, ...NodeProcess[]];
    await run(binaries.installDb, [
      '--no-defaults',
      ...(owner ? ['--user=mysql'] : []),
      `--datadir=${first.dataDirectory}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...SERVER_OPTIONS.map((option) => `--${option}`),
    ]);
    let startedAt = Date.now();
    await first.start({ newCluster: true });
    timings[`bootstrap ${first.name}`] = Date.now() - startedAt;
    // One joiner at a time: each needs a donor, and a donor serves one SST at a time.
    for (const node of others) {
      startedAt = Date.now();
      await node.start({ timeoutMs: options.joinTimeoutMs ?? 90_000 });
      timings[`join ${node.name}`] = Date.now() - startedAt;
    }
    await waitUntilSynced();
  } catch (error) {
    const logs = nodes.map((node) => `--- ${node.name}\n${node.output().slice(-4000)}`).join('\n');
    await destroy();
    throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
  }

  return {
    nodes,
    directory,
    binaries,
    timings,
    createDatabase,
    waitUntilSynced,
    waitUntilSettled,
    recoverQuorum,
    bootstrapFrom,
    destroy,
  };
}

interface NodeSettings {
  index: number;
  directory: string;
  binaries: GaleraBinaries;
  owner: { uid: number; gid: number } | undefined;
  port: number;
  gcommPort: number;
  istPort: number;
  sstPort: number;
  /** `[mysqld]` lines other than the node's files. */
  config: string[];
}

class NodeProcess implements GaleraNode {
  readonly index: number;
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly gcommPort: number;
  readonly istPort: number;
  readonly sstPort: number;
  readonly dataDirectory: string;
  recoveredPosition: string | undefined;
  lastStartMs: number | undefined;
  private readonly settings: NodeSettings;
  private readonly configFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';
  private startOffset = 0;
  private startedAt = 0;
  /** False until the node has had data of its own (a joiner's first start copies it by SST). */
  private hasData = false;

  constructor(settings: NodeSettings) {
    this.settings = settings;
    this.index = settings.index;
    this.name = `node${settings.index}`;
    this.port = settings.port;
    this.gcommPort = settings.gcommPort;
    this.istPort = settings.istPort;
    this.sstPort = settings.sstPort;
    this.url = `mysql://root@127.0.0.1:${settings.port}`;
    this.dataDirectory = path.join(settings.directory, 'data');
    this.configFile = path.join(settings.directory, 'my.cnf');
  }

  get pid() {
    return this.isRunning() ? this.child!.pid : undefined;
  }

  isRunning() {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  output() {
    return this.log;
  }

  startOutput() {
    return this.log.slice(this.startOffset);
  }

  stateTransfer() {
    return stateTransferOf(this.startOutput());
  }

  savedState() {
    return readSavedState(this.dataDirectory);
  }

  /** The node's directory, its empty data directory (owned by mysql when we are root) and its my.cnf. */
  async prepareDirectory() {
    const { directory, owner, config } = this.settings;
    await mkdir(this.dataDirectory, { recursive: true });
    await chmod(directory, 0o755);
    if (owner) {
      await chown(directory, owner.uid, owner.gid);
      await chown(this.dataDirectory, owner.uid, owner.gid);
    }
    const lines = [
      '# Written by service-kit/src/testing/galera-cluster.ts: one node of a test cluster.',
      '[mysqld]',
      `datadir=${this.dataDirectory}`,
      `socket=${path.join(directory, 'mysqld.sock')}`,
      `pid-file=${path.join(directory, 'mysqld.pid')}`,
      ...config,
      '',
    ];
    await writeFile(this.configFile, lines.join('\n'), { mode: 0o644 });
  }

  private spawnServer(extraArgs: string[]): ChildProcess {
    const { binaries } = this.settings;
    const child = spawn(binaries.server, [`--defaults-file=${this.configFile}`, ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: kill() takes the SST scripts and rsync daemons with it.
      detached: true,
      env: {
        ...process.env,
        // The SST scripts call my_print_defaults, rsync and mariadbd by name.
        PATH: [path.dirname(binaries.server), path.dirname(binaries.rsync), process.env.PATH, '/usr/bin:/bin']
          .filter(Boolean)
          .join(path.delimiter),
      },
    });
    if (child.pid !== undefined) trackGroup(child.pid);
    const onData = (chunk: Buffer) => (this.log += chunk);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => {
      if (child.pid !== undefined) liveGroups.delete(child.pid);
    });
    return child;
  }

  /** `mariadbd --wsrep-recover`: the position InnoDB last committed, or undefined (none recorded). */
  private async recoverPosition(): Promise<string | undefined> {
    const child = this.spawnServer(['--wsrep-recover']);
    const from = this.log.length;
    // InnoDB crash recovery of a test's data takes ~1 s; never wait for ever.
    const killTimer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), READY_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', (exitCode) => resolve(exitCode)),
    );
    clearTimeout(killTimer);
    const found = RECOVERED_POSITION.exec(this.log.slice(from))?.[1];
    if (code !== 0) throw new Error(`${this.name}: mariadbd --wsrep-recover exited with ${code}`);
    return found && !NO_POSITION.test(found) ? found : undefined;
  }

  async start(options: { synced?: boolean; timeoutMs?: number; newCluster?: boolean } = {}) {
    if (this.isRunning()) return;
    this.startOffset = this.log.length;
    this.startedAt = Date.now();
    this.lastStartMs = undefined;
    this.recoveredPosition = this.hasData ? await this.recoverPosition() : undefined;
    const args = [
      ...(options.newCluster ? ['--wsrep-new-cluster'] : []),
      ...(this.recoveredPosition ? [`--wsrep-start-position=${this.recoveredPosition}`] : []),
    ];
    const server = this.spawnServer(args);
    this.child = server;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    this.exited = exited;
    const timeoutMs = options.timeoutMs ?? (this.hasData ? READY_TIMEOUT_MS : 90_000);
    // MariaDB says so once it accepts connections; a joiner only after its state transfer.
    const ready = new Promise<'ready'>((resolve) => {
      const check = () => {
        if (this.log.includes('ready for connections', this.startOffset)) resolve('ready');
      };
      server.stdout?.on('data', check);
      server.stderr?.on('data', check);
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready,
      exited.then(() => 'exited' as const),
      new Promise<'timed-out'>((resolve) => (timer = setTimeout(() => resolve('timed-out'), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      await this.kill();
      throw new Error(`${this.name} ${outcome} before it was ready:\n${this.startOutput().slice(-6000)}`);
    }
    this.hasData = true;
    if (options.synced !== false) {
      await this.waitUntilSynced(Math.max(1_000, timeoutMs - (Date.now() - this.startedAt)));
      this.finishStart();
    }
  }

  /** Records how long the latest start took, once the node is Synced. */
  finishStart() {
    this.lastStartMs ??= Date.now() - this.startedAt;
  }

  async kill() {
    const pid = this.child?.pid;
    if (!this.isRunning() || pid === undefined) return;
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }

  async stop() {
    const pid = this.child?.pid;
    if (!this.isRunning() || pid === undefined) return;
    this.child!.kill('SIGTERM');
    const killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(killTimer);
  }

  state() {
    return galeraNodeState(this.url);
  }

  async waitUntilSynced(timeoutMs = 60_000) {
    let last: GaleraNodeState | Error | undefined;
    return pollUntil(
      `${this.name} Synced`,
      async () => {
        if (!this.isRunning())
          throw new Error(`${this.name} is not running:\n${this.startOutput().slice(-4000)}`);
        last = await this.state().catch((error: Error) => error);
        return !(last instanceof Error) && last.ready && last.localState === 4 ? last : undefined;
      },
      { timeoutMs, lastSeen: () => (last instanceof Error ? last.message : JSON.stringify(last)) },
    );
  }
}

/** The galera-health agent (scripts/galera-health.mjs) of one node, on a loopback port of its own. */
export interface GaleraHealthAgent {
  readonly node: GaleraNode;
  readonly port: number;
  /** `http://127.0.0.1:<port>/`: 200 "synced" or 503 with the reason. */
  readonly url: string;
  readonly service: ChildService;
  stop(): Promise<void>;
}

const HEALTH_AGENT = fileURLToPath(new URL('../../../scripts/galera-health.mjs', import.meta.url));

/** Starts scripts/galera-health.mjs for `node` as a child process; resolves once it answers. */
export async function startGaleraHealthAgent(node: GaleraNode): Promise<GaleraHealthAgent> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const service = await startChildService(
    process.execPath,
    [HEALTH_AGENT, '--host', '127.0.0.1', '--port', String(port), '--database-url', node.url],
    { readyUrl: url, timeoutMs: 10_000 },
  );
  return { node, port, url, service, stop: () => service.stop() };
}

/** HAProxy in front of a cluster: the single-writer topology of deploy/haproxy/haproxy.cfg. */
export interface Haproxy {
  /** The frontend's loopback port, and `mysql://root@127.0.0.1:<port>`. */
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  readonly configFile: string;
  /** The health agents HAProxy checks (started by startHaproxy unless given). */
  readonly agents: GaleraHealthAgent[];
  output(): string;
  /** Each server's status as HAProxy sees it now: `{ node1: 'UP', node2: 'DOWN', … }`. */
  serverStatus(): Promise<Record<string, string>>;
  /** Until every named server has `status` ('UP', 'DOWN', …); rejects with the last statuses after `timeoutMs`. */
  waitForStatus(expected: Record<string, string>, timeoutMs?: number): Promise<void>;
  /** Stops HAProxy (and the agents it started) by pid. */
  stop(): Promise<void>;
}

export interface StartHaproxyOptions {
  /** Ports of health agents already running, one per node (nodes[i] → healthPorts[i]); started here otherwise. */
  healthPorts?: number[];
  /** The check interval, in ms; 500 by default (fall 2 / rise 2: ~1 s to mark a node down or up). */
  checkIntervalMs?: number;
}

/**
 * Starts Debian's haproxy in the foreground (`haproxy -f <cfg> -db`) on a free loopback
 * port: `mode tcp`, node 1 the only writer, the other nodes `backup` in order (the first
 * one up takes every connection while node 1 is down), each checked with `option httpchk`
 * against its galera-health agent, so a node is in service only while it is Synced, and
 * the sessions of a node marked down are cut (`on-marked-down shutdown-sessions`). When
 * node 1 is back, the backup's sessions are cut too (`on-marked-up shutdown-backup-sessions`):
 * there is never more than one writer for long.
 */
export async function startHaproxy(
  cluster: GaleraCluster,
  options: StartHaproxyOptions = {},
): Promise<Haproxy> {
  const binary = cluster.binaries.haproxy;
  if (!binary) throw new Error(NO_HAPROXY);
  const agents = options.healthPorts
    ? []
    : await Promise.all(cluster.nodes.map((node) => startGaleraHealthAgent(node)));
  const healthPorts = options.healthPorts ?? agents.map((agent) => agent.port);
  const stopAgents = () => Promise.all(agents.map((agent) => agent.stop()));
  const port = await freePort();
  const inter = options.checkIntervalMs ?? 500;
  const configFile = path.join(cluster.directory, `haproxy-${port}.cfg`);
  const statsSocket = path.join(cluster.directory, `haproxy-${port}.sock`);
  const servers = cluster.nodes.map(
    (node, at) =>
      `  server ${node.name} 127.0.0.1:${node.port} check port ${healthPorts[at]}` +
      (at === 0 ? ' on-marked-up shutdown-backup-sessions' : ' backup'),
  );
  const config = [
    '# Written by service-kit/src/testing/galera-cluster.ts; deploy/haproxy/haproxy.cfg explains each line.',
    'global',
    '  log stderr format raw local0 notice',
    '  maxconn 1024',
    `  stats socket ${statsSocket} mode 600 level admin`,
    '',
    'defaults',
    '  mode tcp',
    '  log global',
    '  timeout connect 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    '  timeout check 1500ms',
    '',
    'frontend mysql',
    `  bind 127.0.0.1:${port}`,
    '  default_backend galera',
    '',
    'backend galera',
    '  option httpchk GET /',
    '  http-check expect status 200',
    `  default-server inter ${inter} fall 2 rise 2 on-marked-down shutdown-sessions`,
    ...servers,
    '',
  ];
  await writeFile(configFile, config.join('\n'));
  const child = spawn(binary, ['-f', configFile, '-db'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid !== undefined) trackGroup(child.pid);
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (child.pid !== undefined) liveGroups.delete(child.pid);
      resolve();
    }),
  );
  const isRunning = () => child.exitCode === null && child.signalCode === null;

  const stop = async () => {
    if (isRunning() && child.pid !== undefined) {
      const pid = child.pid;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(killTimer);
    }
    await stopAgents();
  };

  const serverStatus = async () => {
    const csv = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connectTcp(statsSocket);
      socket.setTimeout(2_000, () => socket.destroy(new Error('the HAProxy stats socket did not answer')));
      socket.on('connect', () => socket.end('show stat\n'));
      socket.on('data', (chunk) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    const [header, ...rows] = csv.replace(/^# /, '').trim().split('\n');
    const columns = header!.split(',');
    const status: Record<string, string> = {};
    for (const row of rows) {
      const fields = row.split(',');
      const record = Object.fromEntries(columns.map((column, at) => [column, fields[at] ?? '']));
      if (record.pxname === 'galera' && record.svname !== 'BACKEND' && record.svname !== 'FRONTEND') {
        status[record.svname!] = record.status!.split(' ')[0]!;
      }
    }
    return status;
  };

  const waitForStatus = async (expected: Record<string, string>, timeoutMs = 15_000) => {
    let last: Record<string, string> | Error | undefined;
    await pollUntil(
      `HAProxy's servers ${JSON.stringify(expected)}`,
      async () => {
        last = await serverStatus().catch((error: Error) => error);
        const seen = last;
        if (
          !(seen instanceof Error) &&
          Object.entries(expected).every(([name, want]) => seen[name] === want)
        ) {
          return true;
        }
        if (!isRunning()) throw new Error(`haproxy exited:\n${log}`);
        return undefined;
      },
      {
        timeoutMs,
        intervalMs: 100,
        lastSeen: () => `${last instanceof Error ? last.message : JSON.stringify(last)}\n${log}`,
      },
    );
  };

  // Ready once the stats socket answers: HAProxy opens it after binding the frontend.
  try {
    await pollUntil(
      'haproxy ready',
      async () => {
        if (!isRunning()) throw new Error(`haproxy exited with ${child.exitCode}:\n${log}`);
        const isReady =
          existsSync(statsSocket) &&
          (await serverStatus().then(
            () => true,
            () => false,
          ));
        return isReady || undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, lastSeen: () => log },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    port,
    url: `mysql://root@127.0.0.1:${port}`,
    get pid() {
      return isRunning() ? child.pid : undefined;
    },
    configFile,
    agents,
    output: () => log,
    serverStatus,
    waitForStatus,
    stop,
  };
}
