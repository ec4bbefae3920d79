import { execFileSync } from 'node:child_process';

/** Whether a Docker engine answers here (`docker info`, at most 10 s): then the Compose MySQL can be started. */
export function hasDockerEngine(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
