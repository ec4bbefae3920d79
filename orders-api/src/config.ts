import {
  EnvReader,
  readCursorSecret,
  readEventsConfig,
  readServiceConfig,
  TRANSACTION_ATTEMPTS,
  TRANSACTION_RETRY_PAUSES_MS,
  type EventsConfig,
  type ServiceConfig,
} from '@b2b/service-kit';

export interface OrdersApiConfig extends ServiceConfig {
  customersApiBase: string;
  customersApiTimeoutMs: number;
  idempotencyKeyTtlHours: number;
  /** An IN_PROGRESS idempotency claim older than this belongs to a process that died mid-request. */
  abandonedClaimSeconds: number;
  cancelWindowMinutes: number;
  cursorSecret: string;
  /** A CREATED order older than this is canceled and its stock restored; 0: never. */
  reservationTtlMinutes: number;
  /** How often each replica looks for expired reservations. */
  reservationSweepIntervalSeconds: number;
  /** Expired orders canceled per transaction of the sweep. */
  reservationSweepBatchSize: number;
  events: EventsConfig;
}

/** Reads and validates the whole configuration once, at start-up; every problem is reported together. */
export function readOrdersApiConfig(env: Record<string, string | undefined> = process.env): OrdersApiConfig {
  const reader = new EnvReader(env);
  const service = readServiceConfig(reader, { port: 3002 });
  const config: OrdersApiConfig = {
    ...service,
    cursorSecret: readCursorSecret(reader, service.environment),
    events: readEventsConfig(reader, { stream: 'B2B_ORDERS', subjectPrefix: 'b2b.orders' }),
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
    reservationTtlMinutes: reader.integer('ORDER_RESERVATION_TTL_MINUTES', {
      default: 30,
      min: 0,
      max: 525_600,
    }),
    reservationSweepIntervalSeconds: reader.integer('ORDER_RESERVATION_SWEEP_INTERVAL_SECONDS', {
      default: 60,
      min: 1,
      max: 3600,
    }),
    reservationSweepBatchSize: reader.integer('ORDER_RESERVATION_SWEEP_BATCH_SIZE', {
      default: 100,
      min: 1,
      max: 1000,
    }),
  };
  if (!URL.canParse(config.customersApiBase)) {
    reader.reject(`CUSTOMERS_API_BASE must be an absolute URL (got "${config.customersApiBase}")`);
  }
  // A claim must outlive the longest request holding it, or a slow request could run twice:
  // the customer check (two attempts) then every attempt of the transaction, each bounded by
  // the database timeouts. (The body has been received before the claim is made.)
  const { acquireTimeoutMs, statementTimeoutMs } = config.databaseTimeouts;
  const longestClaimMs =
    2 * config.customersApiTimeoutMs +
    TRANSACTION_ATTEMPTS * (acquireTimeoutMs + statementTimeoutMs) +
    TRANSACTION_RETRY_PAUSES_MS;
  if (config.abandonedClaimSeconds * 1000 <= longestClaimMs) {
    reader.reject(
      'IDEMPOTENCY_ABANDONED_CLAIM_SECONDS must exceed the longest a request holds a claim, ' +
        `2 × CUSTOMERS_API_TIMEOUT_MS + ${TRANSACTION_ATTEMPTS} × (DATABASE_ACQUIRE_TIMEOUT_MS + ` +
        `DATABASE_STATEMENT_TIMEOUT_MS) + ${TRANSACTION_RETRY_PAUSES_MS} ms of retry pauses = ` +
        `${longestClaimMs} ms (got ${config.abandonedClaimSeconds} s)`,
    );
  }
  reader.done();
  return config;
}
