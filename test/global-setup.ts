import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Runs once before any suite: builds the orchestrator bundle that several suites serve
 * under serverless-offline, so no two suites rebuild it while another one loads it.
 */
export default function buildOrchestratorOnce(): void {
  execFileSync('node', ['build.mjs'], {
    cwd: path.resolve(import.meta.dirname, '../lambda-orchestrator'),
    stdio: 'inherit',
  });
}
