import path from 'node:path';
import { TEST_AUTH, freePort, startChildService, type ChildService } from '@b2b/service-kit/testing';

const ORCHESTRATOR_DIR = path.resolve(import.meta.dirname, '..');
const ROOT = path.resolve(ORCHESTRATOR_DIR, '..');

export interface OfflineOrchestrator {
  url: string;
  service: ChildService;
}

/**
 * Starts the orchestrator bundle (built once per test run by test/global-setup.ts) under serverless-offline on free ports, with the test
 * secrets and the given APIs, no cloud account and no network. Stop it with `service.stop()`.
 */
export async function startOfflineOrchestrator(options: {
  ordersApiBase: string;
  env?: Record<string, string>;
}): Promise<OfflineOrchestrator> {
  const ports = { http: await freePort(), lambda: await freePort() };
  const url = `http://127.0.0.1:${ports.http}`;
  const service = await startChildService(
    path.join(ROOT, 'node_modules/.bin/serverless'),
    ['offline', 'start'],
    {
      cwd: ORCHESTRATOR_DIR,
      readyUrl: `${url}/`,
      timeoutMs: 45_000,
      env: {
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        ORCHESTRATOR_PORT: String(ports.http),
        ORCHESTRATOR_LAMBDA_PORT: String(ports.lambda),
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        ORDERS_API_BASE: options.ordersApiBase,
        SERVICE_TOKEN: TEST_AUTH.serviceToken,
        JWT_SECRET: TEST_AUTH.jwtSecret,
        JWT_ISSUER: TEST_AUTH.jwtIssuer,
        JWT_AUDIENCE: TEST_AUTH.jwtAudience,
        ...options.env,
      },
    },
  );
  return { url, service };
}
