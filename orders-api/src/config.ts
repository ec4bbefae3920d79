import { EnvReader, readServiceConfig, type ServiceConfig } from '@b2b/service-kit';

export interface OrdersApiConfig extends ServiceConfig {
  customersApiBase: string;
  customersApiTimeoutMs: number;
  idempotencyKeyTtlHours: number;
  cancelWindowMinutes: number;
}

/** Reads and validates the whole configuration once, at start-up; every problem is reported together. */
export function readOrdersApiConfig(env: Record<string, string | undefined> = process.env): OrdersApiConfig {
  const reader = new EnvReader(env);
  const config: OrdersApiConfig = {
    ...readServiceConfig(reader, { port: 3002 }),
    customersApiBase: reader.string('CUSTOMERS_API_BASE', { default: 'http://127.0.0.1:3001' }),
    customersApiTimeoutMs: reader.integer('CUSTOMERS_API_TIMEOUT_MS', { default: 3000, min: 1, max: 60_000 }),
    idempotencyKeyTtlHours: reader.integer('IDEMPOTENCY_KEY_TTL_HOURS', {
      default: 24,
      min: 1,
      max: 24 * 365,
    }),
    cancelWindowMinutes: reader.integer('ORDER_CANCEL_WINDOW_MINUTES', { default: 10, min: 0, max: 525_600 }),
  };
  if (!URL.canParse(config.customersApiBase)) {
    reader.reject(`CUSTOMERS_API_BASE must be an absolute URL (got "${config.customersApiBase}")`);
  }
  reader.done();
  return config;
}
