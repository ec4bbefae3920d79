import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import waitOn from 'wait-on';

/** Asks the OS for a port nobody listens on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `count` distinct free loopback ports: freePort may hand out the same port twice in a row
 * (the OS reuses a port closed a moment ago), and two services given one port collide.
 */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export interface ChildService {
  process: ChildProcess;
  /** Everything the process printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a long-running process (Prism, serverless-offline, a built service) and waits
 * until `readyUrl` answers. It runs in its own process group so stop() ends it and every
 * child it started.
 */
export async function startChildService(
  command: string,
  args: string[],
  options: { readyUrl: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Promise<ChildService> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const service: ChildService = {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      const killTimer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5_000);
      await exited;
      clearTimeout(killTimer);
    },
  };

  // Ready when readyUrl answers at all (wait-on polls it), unless the process exits first.
  const ready = waitOn({
    resources: [options.readyUrl.replace(/^http:/, 'http-get:')],
    timeout: options.timeoutMs ?? 30_000,
    window: 0,
    validateStatus: () => true,
  }).then(
    () => 'ready' as const,
    () => 'timed-out' as const,
  );
  const outcome = await Promise.race([ready, exited.then(() => 'exited' as const)]);
  if (outcome === 'ready') return service;
  await service.stop();
  if (outcome === 'exited') {
    throw new Error(`${command} exited with ${child.exitCode} before it was ready:\n${output}`);
  }
  throw new Error(`${command} was not ready at ${options.readyUrl} in time:\n${output}`);
}
