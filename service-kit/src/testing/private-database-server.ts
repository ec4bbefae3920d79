import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import connect, { sql } from '@databases/mysql';
import { connectDatabase, type Database } from '../database';
import { migrateDatabase } from '../migrations';
import { freePort } from './processes';
import { pollUntil } from './poll';

const run = promisify(execFile);

/** Where Debian, Homebrew and the MariaDB tarballs put the binaries (sbin is often off PATH). */
const EXTRA_DIRECTORIES = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

/** The first of `names` found on PATH or in EXTRA_DIRECTORIES, as a path; undefined when none is. */
export function findBinary(names: string[]): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRECTORIES];
  for (const name of names) {
    for (const directory of directories) {
      const candidate = path.join(directory, name);
      if (directory && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The MariaDB binaries a private server needs, or undefined when this machine has none (a
 * fault test then skips, saying why).
 */
export function mariadbBinaries(): { installDb: string; server: string } | undefined {
  const installDb = findBinary(['mariadb-install-db', 'mysql_install_db']);
  const server = findBinary(['mariadbd', 'mysqld']);
  return installDb && server ? { installDb, server } : undefined;
}

export const NO_MARIADB_BINARIES =
  'no mariadb-install-db / mariadbd on this machine: the test needs a private MariaDB server it may stop and freeze';

export interface PrivateDatabaseServer {
  /** `mysql://root@127.0.0.1:<port>`, no database selected. */
  readonly url: string;
  /** The server's pid while it runs. */
  readonly pid: number | undefined;
  /** Everything the server printed so far, for failure messages. */
  output(): string;
  /** Creates a database with every migration applied; returns its URL and a pool on it. */
  createDatabase(name: string): Promise<{ url: string; db: Database }>;
  /** SIGSTOP: resolves once every thread of the server is stopped. Connections stay open, unanswered. */
  freeze(): Promise<void>;
  /** SIGCONT: the frozen server carries on where it was. */
  thaw(): void;
  /** SIGTERM, MariaDB's normal shutdown; resolves once the process has exited. */
  stop(): Promise<void>;
  /** Starts the server again on the same files and port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server however it is (SIGKILL after 10 s) and deletes its files. Safe to call twice. */
  destroy(): Promise<void>;
}

// Small enough for a test: 26 MB of files, ~0.5 s to start.
const SERVER_OPTIONS = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=8M', '--skip-name-resolve'];
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * A MariaDB server of the test's own, on a temporary directory and a free port, which the
 * test may freeze (SIGSTOP), stop and start again without touching the shared server on
 * 3306. Only this process is ever signalled, by its pid. Call `destroy()` in afterAll.
 */
export async function startPrivateDatabaseServer(): Promise<PrivateDatabaseServer> {
  const binaries = mariadbBinaries();
  if (!binaries) throw new Error(NO_MARIADB_BINARIES);
  const directory = await mkdtemp(path.join(tmpdir(), 'b2b-mariadb-'));
  // The server runs as user mysql when we are root, and must reach its data directory.
  await chmod(directory, 0o755);
  const dataDirectory = path.join(directory, 'data');
  const asUser = process.getuid?.() === 0 ? ['--user=mysql'] : [];
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async () => {
    if (isRunning()) return;
    const server = spawn(
      binaries.server,
      [
        '--no-defaults',
        ...asUser,
        `--datadir=${dataDirectory}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(dataDirectory, 'server.sock')}`,
        `--pid-file=${path.join(dataDirectory, 'server.pid')}`,
        ...SERVER_OPTIONS,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = server;
    exited = new Promise((resolve) => server.once('exit', () => resolve()));
    // MariaDB says so on stderr once it accepts connections (this start's output only).
    const startedAt = output.length;
    const ready = new Promise<'ready'>((resolve) => {
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes('ready for connections', startedAt)) resolve('ready');
      };
      server.stdout?.on('data', onData);
      server.stderr?.on('data', onData);
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready,
      exited.then(() => 'exited' as const),
      new Promise<'timed-out'>(
        (resolve) => (timer = setTimeout(() => resolve('timed-out'), READY_TIMEOUT_MS)),
      ),
    ]);
    clearTimeout(timer);
    if (outcome !== 'ready') {
      server.kill('SIGKILL');
      throw new Error(`the private MariaDB server ${outcome} before it was ready:\n${output}`);
    }
  };

  const signal = (name: NodeJS.Signals) => {
    if (isRunning()) child!.kill(name);
  };

  const stop = async () => {
    if (!isRunning()) return;
    signal('SIGCONT');
    signal('SIGTERM');
    const killTimer = setTimeout(() => signal('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killTimer);
  };

  /** True once every thread of the process is in state T (stopped). */
  const isStopped = async (pid: number) => {
    const threads = await readdir(`/proc/${pid}/task`);
    const states = await Promise.all(
      threads.map(async (thread) => {
        const stat = await readFile(`/proc/${pid}/task/${thread}/stat`, 'utf8').catch(() => ') T');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      }),
    );
    return states.every((state) => state === 'T' || state === 't');
  };

  try {
    await run(binaries.installDb, [
      '--no-defaults',
      ...asUser,
      `--datadir=${dataDirectory}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      ...SERVER_OPTIONS,
    ]);
    await start();
  } catch (error) {
    await stop();
    await rm(directory, { recursive: true, force: true });
    throw error;
  }

  const url = `mysql://root@127.0.0.1:${port}`;
  return {
    url,
    get pid() {
      return isRunning() ? child!.pid : undefined;
    },
    output: () => output,
    async createDatabase(name) {
      const server = connect({ connectionString: `${url}/`, poolSize: 1, onError: () => undefined });
      try {
        await server.query(
          sql`CREATE DATABASE ${sql.ident(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
      } finally {
        await server.dispose();
      }
      const databaseUrl = `${url}/${name}`;
      const db = connectDatabase(databaseUrl);
      await migrateDatabase(db);
      return { url: databaseUrl, db };
    },
    async freeze() {
      const pid = child?.pid;
      if (!isRunning() || pid === undefined) throw new Error('the private MariaDB server is not running');
      signal('SIGSTOP');
      // The kernel stops it asynchronously; its state in /proc says when.
      await pollUntil(
        'the private MariaDB server stopped on SIGSTOP',
        async () => ((await isStopped(pid)) ? true : undefined),
        { timeoutMs: 5000, intervalMs: 10 },
      );
    },
    thaw: () => signal('SIGCONT'),
    stop,
    start,
    async destroy() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
