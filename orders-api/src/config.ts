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
  webhooks: WebhooksConfig;
}

export interface WebhooksConfig {
  /** WEBHOOK_ALLOWED_HOSTS: hosts that may use http and non-public addresses (a development allow-list). */
  allowedHosts: string[];
  /** WEBHOOK_SECRET_OVERLAP_HOURS: how long a rotated-out secret still signs alongside the new one. */
  secretOverlapHours: number;
  /** WEBHOOK_TIMEOUT_MS: the bound of one delivery attempt. */
  timeoutMs: number;
  /** WEBHOOK_RETRY_SCHEDULE: seconds before each attempt (the first usually 0); past the last, FAILED. */
  retryScheduleSeconds: number[];
  /** WEBHOOK_DELIVERY_RETENTION_DAYS: deliveries and attempts older than this are deleted. */
  deliveryRetentionDays: number;
  /**
   * CUSTOMERS_EVENTS_STREAM and CUSTOMERS_EVENTS_SUBJECT_PREFIX: where the Customers API
   * publishes (its EVENTS_STREAM and EVENTS_SUBJECT_PREFIX), which the dispatcher also reads.
   */
  customersStream: { stream: string; subjectPrefix: string };
}

const DEFAULT_RETRY_SCHEDULE = '0,5,300,1800,7200,18000,36000,36000';

function readWebhooksConfig(reader: EnvReader, environment: string): WebhooksConfig {
  const isLocal = environment === 'development' || environment === 'test';
  const allowedHosts = reader
    .string('WEBHOOK_ALLOWED_HOSTS', { default: isLocal ? '127.0.0.1,localhost' : '' })
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host !== '');
  const schedule = reader.string('WEBHOOK_RETRY_SCHEDULE', { default: DEFAULT_RETRY_SCHEDULE });
  const retryScheduleSeconds = schedule.split(',').map((part) => part.trim());
  if (
    retryScheduleSeconds.length === 0 ||
    retryScheduleSeconds.some((part) => !/^(0|[1-9][0-9]{0,6})$/.test(part))
  ) {
    reader.reject(
      `WEBHOOK_RETRY_SCHEDULE must be comma-separated whole seconds, e.g. "${DEFAULT_RETRY_SCHEDULE}" (got "${schedule}")`,
    );
  }
  return {
    allowedHosts,
    secretOverlapHours: reader.integer('WEBHOOK_SECRET_OVERLAP_HOURS', { default: 24, min: 0, max: 24 * 30 }),
    timeoutMs: reader.integer('WEBHOOK_TIMEOUT_MS', { default: 10_000, min: 100, max: 120_000 }),
    retryScheduleSeconds: retryScheduleSeconds.map(Number),
    deliveryRetentionDays: reader.integer('WEBHOOK_DELIVERY_RETENTION_DAYS', {
      default: 30,
      min: 1,
      max: 3650,
    }),
    customersStream: {
      stream: reader.string('CUSTOMERS_EVENTS_STREAM', { default: 'B2B_CUSTOMERS' }),
      subjectPrefix: reader.string('CUSTOMERS_EVENTS_SUBJECT_PREFIX', { default: 'b2b.customers' }),
    },
  };
}

/** Reads and validates the whole configuration once, at start-up; every problem is reported together. */
export function readOrdersApiConfig(env: Record<string, string | undefined> = process.env): OrdersApiConfig {
  const reader = new EnvReader(env);
  const service = readServiceConfig(reader, { port: 3002 });
  const config: OrdersApiConfig = {
    ...service,
    cursorSecret: readCursorSecret(reader, service.environment),
    events: readEventsConfig(reader, { stream: 'B2B_ORDERS', subjectPrefix: 'b2b.orders' }),
    webhooks: readWebhooksConfig(reader, service.environment),
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
