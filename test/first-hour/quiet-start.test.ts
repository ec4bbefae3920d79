import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * npm start prints no warning a newcomer reads as an error. Serverless Framework v3 called
 * `runtime: nodejs22.x` an "Invalid configuration" on every start until
 * patches/serverless+3.40.0.patch taught its schema that runtime.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

describe('the orchestrator configuration', () => {
  it('when Serverless reads serverless.yml, then it finds nothing invalid and the runtime is nodejs22.x', async () => {
    const { stdout, stderr } = await run(path.join(ROOT, 'node_modules/.bin/serverless'), ['print'], {
      cwd: path.join(ROOT, 'lambda-orchestrator'),
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    });

    expect(stdout + stderr).not.toMatch(/Invalid configuration|Warning/i);
    expect(stdout).toMatch(/^\s+runtime: nodejs22\.x$/m);
  });
});
