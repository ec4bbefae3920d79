import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_SECRETS } from '@b2b/service-kit';
import { readOrchestratorConfig } from '../src/config';

const PRODUCTION_SECRETS = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
  SERVICE_TOKEN: 'a-production-service-token',
};

describe('orchestrator configuration', () => {
  it('when nothing is set in development, then it runs against the local APIs with development secrets', () => {
    const config = readOrchestratorConfig({});
    expect(config).toMatchObject({
      environment: 'development',
      customersApiBase: 'http://127.0.0.1:3001',
      ordersApiBase: 'http://127.0.0.1:3002',
      upstreamTimeoutMs: 3_000,
      retry: { retries: 2 },
    });
    expect(config.auth.serviceToken).toBe(DEVELOPMENT_SECRETS.SERVICE_TOKEN);
  });

  it('when production has no secrets, then it refuses to start and names each one', () => {
    expect(() => readOrchestratorConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET[\s\S]*SERVICE_TOKEN/,
    );
  });

  it('when production uses the development secrets, then it refuses to start', () => {
    expect(() => readOrchestratorConfig({ NODE_ENV: 'production', ...DEVELOPMENT_SECRETS })).toThrow(
      /must not be the development default/,
    );
  });

  it('when the values are malformed, then every problem is reported at once', () => {
    expect(() =>
      readOrchestratorConfig({
        ...PRODUCTION_SECRETS,
        ORDERS_API_BASE: 'not a url',
        UPSTREAM_TIMEOUT_MS: 'soon',
        UPSTREAM_RETRIES: '50',
      }),
    ).toThrow(/ORDERS_API_BASE[\s\S]*UPSTREAM_TIMEOUT_MS[\s\S]*UPSTREAM_RETRIES/);
  });

  it('when production is configured properly, then trailing slashes are dropped from the API bases', () => {
    const config = readOrchestratorConfig({
      ...PRODUCTION_SECRETS,
      CUSTOMERS_API_BASE: 'https://customers.internal/',
    });
    expect(config.customersApiBase).toBe('https://customers.internal');
  });
});
