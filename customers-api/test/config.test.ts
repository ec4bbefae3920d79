import { describe, expect, it } from 'vitest';
import { ConfigError, DEVELOPMENT_SECRETS } from '@b2b/service-kit';
import { readCustomersApiConfig } from '../src/config';

const PRODUCTION_SECRETS = {
  JWT_SECRET: 'a-production-secret-of-at-least-32-characters',
  SERVICE_TOKEN: 'a-production-service-token',
  CURSOR_SECRET: 'a-production-cursor-secret-of-32-characters',
  DATABASE_URL: 'mysql://app@db.internal:3306/b2b_orders',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    readCustomersApiConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('readCustomersApiConfig', () => {
  it('when nothing is set in development, then it starts on port 3001 with development defaults', () => {
    const config = readCustomersApiConfig({});

    expect(config).toMatchObject({ environment: 'development', port: 3001, trustProxyHops: 0 });
    expect(config.auth.tokenTtlSeconds).toBe(3600);
    expect(config.auth.jwtSecret).toBe(DEVELOPMENT_SECRETS.JWT_SECRET);
  });

  it('when production secrets are set, then they are used', () => {
    const config = readCustomersApiConfig({
      NODE_ENV: 'production',
      JWT_TTL_SECONDS: '900',
      ...PRODUCTION_SECRETS,
    });

    expect(config.auth).toMatchObject({
      jwtSecret: PRODUCTION_SECRETS.JWT_SECRET,
      serviceToken: PRODUCTION_SECRETS.SERVICE_TOKEN,
    });
    expect(config.auth.tokenTtlSeconds).toBe(900);
  });

  it('when NODE_ENV=production and the secrets are missing, then it refuses to start naming both', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DATABASE_URL: PRODUCTION_SECRETS.DATABASE_URL });

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('JWT_SECRET'),
        expect.stringContaining('SERVICE_TOKEN'),
      ]),
    );
  });

  it('when NODE_ENV=production and the secrets are the development defaults, then it refuses to start', () => {
    const problems = problemsOf({ NODE_ENV: 'production', ...PRODUCTION_SECRETS, ...DEVELOPMENT_SECRETS });

    expect(problems).toEqual([
      expect.stringContaining('JWT_SECRET must not be the development default'),
      expect.stringContaining('SERVICE_TOKEN must not be the development default'),
    ]);
  });

  it('when NODE_ENV=production and a secret is a change-me placeholder, then it refuses to start', () => {
    const placeholder = {
      JWT_SECRET: 'change-me-to-a-long-random-secret-of-32-chars',
      SERVICE_TOKEN: 'change-me-token',
    };
    const problems = problemsOf({ NODE_ENV: 'production', ...PRODUCTION_SECRETS, ...placeholder });

    expect(problems).toEqual([
      expect.stringContaining('JWT_SECRET must not be the development default or a placeholder'),
      expect.stringContaining('SERVICE_TOKEN must not be the development default or a placeholder'),
    ]);
  });

  it('when the JWT secret is too short, then it refuses to start', () => {
    expect(problemsOf({ NODE_ENV: 'production', ...PRODUCTION_SECRETS, JWT_SECRET: 'short' })).toEqual([
      expect.stringContaining('JWT_SECRET must be at least 32 characters'),
    ]);
  });

  it.each(['0', '-5', 'soon', '100000'])('when JWT_TTL_SECONDS is %s, then it refuses to start', (ttl) => {
    expect(problemsOf({ JWT_TTL_SECONDS: ttl })).toEqual([expect.stringContaining('JWT_TTL_SECONDS')]);
  });

  it('when TRUST_PROXY_HOPS is set, then that many proxies are trusted', () => {
    expect(readCustomersApiConfig({ TRUST_PROXY_HOPS: '1' }).trustProxyHops).toBe(1);
  });

  it.each(['-1', 'true', '11'])('when TRUST_PROXY_HOPS is %s, then it refuses to start', (hops) => {
    expect(problemsOf({ TRUST_PROXY_HOPS: hops })).toEqual([expect.stringContaining('TRUST_PROXY_HOPS')]);
  });

  it('when several settings are wrong, then every problem is reported at once', () => {
    expect(problemsOf({ PORT: 'eighty', JWT_TTL_SECONDS: 'x', NODE_ENV: 'staging' })).toHaveLength(3);
  });
});
