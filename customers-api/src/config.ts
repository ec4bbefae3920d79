import {
  EnvReader,
  readCursorSecret,
  readEventsConfig,
  readServiceConfig,
  type EventsConfig,
  type ServiceConfig,
} from '@b2b/service-kit';

export interface CustomersApiConfig extends ServiceConfig {
  /** Reverse proxies trusted for X-Forwarded-For (TRUST_PROXY_HOPS); 0: none. */
  trustProxyHops: number;
  cursorSecret: string;
  events: EventsConfig;
}

/** Reads and validates the whole configuration once, at start-up; every problem is reported together. */
export function readCustomersApiConfig(
  env: Record<string, string | undefined> = process.env,
): CustomersApiConfig {
  const reader = new EnvReader(env);
  const service = readServiceConfig(reader, { port: 3001 });
  const config: CustomersApiConfig = {
    ...service,
    cursorSecret: readCursorSecret(reader, service.environment),
    events: readEventsConfig(reader, { stream: 'B2B_CUSTOMERS', subjectPrefix: 'b2b.customers' }),
    trustProxyHops: reader.integer('TRUST_PROXY_HOPS', { default: 0, min: 0, max: 10 }),
  };
  reader.done();
  return config;
}
