import { spawn } from 'node:child_process';

const COLORS = [36, 35, 33, 32, 34];

/**
 * Long-running child processes started together and stopped together, each in its own
 * process group (so stopping one also ends what it spawned), their output prefixed by
 * name. If one exits on its own, all are stopped. Ctrl-C (SIGINT) or SIGTERM stops all.
 */
export function createProcessGroup({ label, gracePeriodMs = 8_000 }) {
  const children = [];
  let isStopping = false;

  function prefixLines(stream, prefix) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }

  function signalAll(running, signal) {
    for (const child of running) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  async function stop(exitCode = 0) {
    if (isStopping) return;
    isStopping = true;
    console.log(`\nStopping ${label}…`);
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    const exited = running.map((child) => new Promise((resolve) => child.once('exit', resolve)));
    signalAll(running, 'SIGTERM');
    const killTimer = setTimeout(() => signalAll(running, 'SIGKILL'), gracePeriodMs);
    await Promise.all(exited);
    clearTimeout(killTimer);
    console.log('Stopped: nothing left running.');
    process.exit(exitCode);
  }

  function run(name, command, args, options = {}) {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const prefix = `\x1b[${COLORS[children.length % COLORS.length]}m${name.padEnd(12)}|\x1b[0m `;
    prefixLines(child.stdout, prefix);
    prefixLines(child.stderr, prefix);
    child.on('exit', (code, signal) => {
      if (isStopping) return;
      console.error(`${prefix}exited (${signal ?? code}); stopping ${label}`);
      stop(1);
    });
    children.push(child);
    return child;
  }

  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  return { run, stop, isStopping: () => isStopping };
}
