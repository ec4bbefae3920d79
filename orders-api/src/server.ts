import {
  connectDatabase,
  createLogger,
  createMetricsRegistry,
  loadEnvFiles,
  readConfigOrExit,
  runHttpServer,
  startEventRelay,
} from '@b2b/service-kit';
import { createOrdersApp } from './app';
import { readOrdersApiConfig } from './config';
import { ORDERS_OUTBOX } from './events';
import { releaseHeldIdempotencyClaims, scheduleIdempotencyKeyCleanup } from './idempotency/idempotency';
import { createOrdersMetrics } from './metrics';
import { scheduleReservationExpiry } from './orders/reservation-expiry';
import { startWebhookDispatcher } from './webhooks/dispatcher';

// orders-api/.env, from src/ (tsx) and from dist/ (the bundle) alike; the environment wins.
loadEnvFiles(new URL('../.env', import.meta.url));
const config = readConfigOrExit('orders-api', () => readOrdersApiConfig());

const logger = createLogger({ service: 'orders-api', level: config.logLevel });
const db = connectDatabase(config.databaseUrl, {
  poolSize: config.databasePoolSize,
  ...config.databaseTimeouts,
});
// One set of counters for the app and the reservation sweep, with the process's own metrics.
const metrics = createOrdersMetrics(createMetricsRegistry({ processMetrics: true }));
// EVENTS=off: no event is written, so none is relayed.
const eventRelay =
  config.events.events === 'off'
    ? undefined
    : startEventRelay({
        db,
        outbox: ORDERS_OUTBOX,
        broker: config.events.broker,
        retentionHours: config.events.retentionHours,
        logger,
        registry: metrics.registry,
      });
const app = createOrdersApp({
  db,
  metrics,
  auth: config.auth,
  logger,
  customersApiBase: config.customersApiBase,
  customersApiTimeoutMs: config.customersApiTimeoutMs,
  abandonedClaimSeconds: config.abandonedClaimSeconds,
  idempotencyKeyTtlHours: config.idempotencyKeyTtlHours,
  cancelWindowMinutes: config.cancelWindowMinutes,
  reservationTtlMinutes: config.reservationTtlMinutes,
  cursorSecret: config.cursorSecret,
  corsAllowedOrigins: config.corsAllowedOrigins,
  events: config.events.events,
  eventRelay,
  webhooks: config.webhooks,
});
// Webhooks: the events of both APIs' streams to the registered endpoints (docs/events.md "Webhooks").
const { broker } = config.events;
const webhookDispatcher = startWebhookDispatcher({
  db,
  logger,
  registry: metrics.registry,
  broker: broker && {
    url: broker.url,
    // One stream when both APIs publish into the same (as the test suites make them).
    streams: [broker, config.webhooks.customersStream].filter(
      (stream, index, all) => all.findIndex((other) => other.stream === stream.stream) === index,
    ),
  },
  policy: { allowedHosts: config.webhooks.allowedHosts },
  timeoutMs: config.webhooks.timeoutMs,
  retryScheduleSeconds: config.webhooks.retryScheduleSeconds,
  retentionDays: config.webhooks.deliveryRetentionDays,
});
const stopIdempotencyKeyCleanup = scheduleIdempotencyKeyCleanup(db, logger);
const reservationExpiry = scheduleReservationExpiry(db, logger, {
  ttlMinutes: config.reservationTtlMinutes,
  intervalSeconds: config.reservationSweepIntervalSeconds,
  batchSize: config.reservationSweepBatchSize,
  metrics,
  outbox: config.events.events === 'on' ? ORDERS_OUTBOX : undefined,
});

await runHttpServer(app, {
  name: 'Orders API',
  host: config.host,
  port: config.port,
  logger,
  timeouts: config.httpTimeouts,
  shutdownGraceMs: config.shutdownGraceMs,
  // Requests cut off by the shutdown deadline give their idempotency keys back first.
  onDeadline: async () => {
    const released = await releaseHeldIdempotencyClaims(db);
    logger.info({ released }, 'idempotency claims of cut-off requests released');
  },
  onShutdown: async () => {
    stopIdempotencyKeyCleanup();
    // A sweep in progress finishes its batch before the pool closes under it.
    await reservationExpiry.stop();
    // Its cycle in progress ends (committed or rolled back) before the pool closes.
    await eventRelay?.stop();
    // Attempts in progress finish and are recorded.
    await webhookDispatcher.stop();
    await db.dispose();
  },
});
