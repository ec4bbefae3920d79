import { EnvReader, readCursorSecret, readServiceConfig, type ServiceConfig } from '@b2b/service-kit';

export interface OrdersApiConfig extends ServiceConfig {
  customersApiBase: string;
  customersApiTimeoutMs: number;
  idempotencyKeyTtlHours: number;
  /** An IN_PROGRESS idempotency claim older than this belongs to a process that died mid-request. */
  abandonedClaimSeconds: number;
  cancelWindowMinutes: number;
  cursorSecret: string;
}

/** Reads and validates the whole configuration once, at start-up; every problem is reported together. */
export function readOrdersApiConfig(env: Record<string, string | undefined> = process.env): OrdersApiConfig {
  const reader = new EnvReader(env);
  const service = readServiceConfig(reader, { port: 3002 });
  const config: OrdersApiConfig = {
    ...service,
    cursorSecret: readCursorSecret(reader, service.environment),
    customersApiBase: reader.string('CUSTOMERS_API_BASE', { default: 'http://127.0.0.1:3001' }),
    customersApiTimeoutMs: reader.integer('CUSTOMERS_API_TIMEOUT_MS', { default: 3000, min: 1, max: 60_000 }),
    idempotencyKeyTtlHours: reader.integer('IDEMPOTENCY_KEY_TTL_HOURS', {
      default: 24,
      min: 1,
      max: 24 * 365,
    }),
    abandonedClaimSeconds: reader.integer('IDEMPOTENCY_ABANDONED_CLAIM_SECONDS', {
      default: 120,
      min: 1,
      max: 86_400,
    }),
    cancelWindowMinutes: reader.integer('ORDER_CANCEL_WINDOW_MINUTES', { default: 10, min: 0, max: 525_600 }),
  };
  if (!URL.canParse(config.customersApiBase)) {
    reader.reject(`CUSTOMERS_API_BASE must be an absolute URL (got "${config.customersApiBase}")`);
  }
  // A claim must outlive the longest request holding it, or a slow request could run twice.
  if (config.abandonedClaimSeconds * 1000 <= 2 * config.customersApiTimeoutMs) {
    reader.reject(
      'IDEMPOTENCY_ABANDONED_CLAIM_SECONDS must be more than twice CUSTOMERS_API_TIMEOUT_MS ' +
        `(got ${config.abandonedClaimSeconds} s and ${config.customersApiTimeoutMs} ms)`,
    );
  }
  reader.done();
  return config;
}
