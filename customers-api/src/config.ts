import { EnvReader, readServiceConfig, type ServiceConfig } from '@b2b/service-kit';
import { DEFAULT_TOKEN_TTL_SECONDS } from './auth/operators';

export interface CustomersApiConfig extends ServiceConfig {
  jwtTtlSeconds: number;
}

/** Reads and validates the whole configuration once, at start-up; every problem is reported together. */
export function readCustomersApiConfig(
  env: Record<string, string | undefined> = process.env,
): CustomersApiConfig {
  const reader = new EnvReader(env);
  const config: CustomersApiConfig = {
    ...readServiceConfig(reader, { port: 3001 }),
    jwtTtlSeconds: reader.integer('JWT_TTL_SECONDS', {
      default: DEFAULT_TOKEN_TTL_SECONDS,
      min: 60,
      max: 24 * 3600,
    }),
  };
  reader.done();
  return config;
}
