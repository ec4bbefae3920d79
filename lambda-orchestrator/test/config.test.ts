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

  it('when CORS_ALLOWED_ORIGINS lists origins, then they are allowed as by the APIs; `*` is refused; none by default', () => {
    expect(readOrchestratorConfig({}).corsAllowedOrigins).toEqual([]);
    expect(
      readOrchestratorConfig({ CORS_ALLOWED_ORIGINS: 'http://127.0.0.1:5173, https://console.example' })
        .corsAllowedOrigins,
    ).toEqual(['http://127.0.0.1:5173', 'https://console.example']);
    expect(() => readOrchestratorConfig({ CORS_ALLOWED_ORIGINS: '*' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });

  it('when production is configured properly, then trailing slashes are dropped from the API base', () => {
    const config = readOrchestratorConfig({
      ...PRODUCTION_SECRETS,
      ORDERS_API_BASE: 'https://orders.internal/',
    });
    expect(config.ordersApiBase).toBe('https://orders.internal');
  });
});
