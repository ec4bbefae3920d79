import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from './poll';
import { freePort } from './processes';
import { findBinary } from './private-database-server';

/** The nats-server binary on PATH or in the usual sbin/bin folders; undefined when this machine has none. */
export function natsServerBinary(): string | undefined {
  return findBinary(['nats-server']);
}

export const NO_NATS_SERVER =
  'no nats-server on this machine (Debian/Ubuntu: apt-get install nats-server; else https://nats.io/download): ' +
  'the test needs a private NATS JetStream server it may stop and start';

export interface NatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** The client port; the same after every `start()`. */
  readonly port: number;
  /** The HTTP monitoring port (`/healthz`, `/jsz`, …); the same after every `start()`. */
  readonly monitoringPort: number;
  /** JetStream's store directory (`-sd`); the same after every `start()`, so streams survive. */
  readonly storeDirectory: string;
  /** The server's pid while it runs. */
  readonly pid: number | undefined;
  /** Everything the server printed so far, for failure messages. */
  output(): string;
  /** SIGTERM, the server's clean shutdown (SIGKILL after 10 s); resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL, a crash; resolves once the process has exited. */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same port and store directory; resolves once it accepts
   * JetStream requests. Does nothing while it runs.
   */
  start(): Promise<void>;
  /**
   * Kills the server however it is and deletes the store directory it created (one passed in
   * `options.storeDirectory` is left alone). Safe to call twice.
   */
  destroy(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * A NATS server with JetStream of the test's own, on 127.0.0.1, a free port (or `options.port`)
 * and a temporary store directory (or `options.storeDirectory`), which the test may stop, kill
 * and start again without touching a shared server on 4222. Resolves once it accepts JetStream
 * requests. Only this process is ever signalled, by its pid. Call `destroy()` in afterAll.
 */
export async function startNatsServer(
  options: { port?: number; storeDirectory?: string } = {},
): Promise<NatsServer> {
  const binary = natsServerBinary();
  if (!binary) throw new Error(NO_NATS_SERVER);
  const ownDirectory = options.storeDirectory === undefined;
  const storeDirectory = options.storeDirectory ?? (await mkdtemp(path.join(tmpdir(), 'b2b-nats-')));
  const port = options.port ?? (await freePort());
  const monitoringPort = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  /** JetStream answers /healthz once it is enabled and its streams are recovered from the store. */
  const isHealthy = async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${monitoringPort}/healthz?js-enabled-only=true`);
      return response.ok;
    } catch {
      return false;
    }
  };

  const start = async () => {
    if (isRunning()) return;
    const server = spawn(
      binary,
      ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitoringPort), '-sd', storeDirectory],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = server;
    exited = new Promise((resolve) => server.once('exit', () => resolve()));
    const onData = (chunk: Buffer) => (output += chunk);
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    // The monitor listens before JetStream and the client port do: ready once this start has
    // said "Server is ready" (client port open, JetStream enabled) and /healthz agrees.
    const startedAt = output.length;
    try {
      await pollUntil(
        `the private NATS server on ${port} accepting JetStream requests`,
        async () => {
          if (server.exitCode !== null || server.signalCode !== null) {
            throw new Error(`the private NATS server exited before it was ready:\n${output}`);
          }
          return output.includes('Server is ready', startedAt) && (await isHealthy()) ? true : undefined;
        },
        { timeoutMs: READY_TIMEOUT_MS, intervalMs: 50, lastSeen: () => output },
      );
    } catch (error) {
      server.kill('SIGKILL');
      await exited;
      throw error;
    }
  };

  const signal = (name: NodeJS.Signals) => {
    if (isRunning()) child!.kill(name);
  };

  const stop = async () => {
    if (!isRunning()) return;
    signal('SIGTERM');
    const killTimer = setTimeout(() => signal('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killTimer);
  };

  const kill = async () => {
    signal('SIGKILL');
    await exited;
  };

  let destroyed = false;
  const removeOwnDirectory = async () => {
    if (ownDirectory) await rm(storeDirectory, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (error) {
    await removeOwnDirectory();
    throw error;
  }

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitoringPort,
    storeDirectory,
    get pid() {
      return isRunning() ? child!.pid : undefined;
    },
    output: () => output,
    stop,
    kill,
    async start() {
      if (destroyed) throw new Error('the private NATS server was destroyed');
      await start();
    },
    async destroy() {
      destroyed = true;
      await kill();
      await removeOwnDirectory();
    },
  };
}
