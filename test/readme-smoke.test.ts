import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TEST_AUTH } from '@b2b/service-kit/testing';
import { useSystem } from './support/system';

/** The README's curl examples, run as `npm run smoke` runs them, against the real system. */
describe('the README examples', () => {
  const system = useSystem();

  it('when npm run smoke runs every README block against the system, then each one works as printed', async () => {
    const { stdout } = await promisify(execFile)('node', ['scripts/smoke.mjs'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: {
        ...process.env,
        // The names npm start uses; the system listens on 127.0.0.1, as the README assumes.
        CUSTOMERS_PORT: new URL(system.current.urls.customers).port,
        ORDERS_PORT: new URL(system.current.urls.orders).port,
        ORCHESTRATOR_PORT: new URL(system.current.urls.orchestrator).port,
        SERVICE_TOKEN: TEST_AUTH.serviceToken,
      },
    });
    expect(stdout).toMatch(/smoke: \d+ blocks of the README and docs\/ ran without error/);
    expect(stdout).toContain('"status":"CONFIRMED"');
  }, 60_000);
});
