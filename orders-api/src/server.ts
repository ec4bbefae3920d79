import { connectDatabase, createLogger, readConfigOrExit, runHttpServer } from '@b2b/service-kit';
import { createOrdersApp } from './app';
import { readOrdersApiConfig } from './config';
import { releaseHeldIdempotencyClaims, scheduleIdempotencyKeyCleanup } from './idempotency/idempotency';
import { scheduleReservationExpiry } from './orders/reservation-expiry';

const config = readConfigOrExit('orders-api', () => readOrdersApiConfig());

const logger = createLogger({ service: 'orders-api', level: config.logLevel });
const db = connectDatabase(config.databaseUrl, {
  poolSize: config.databasePoolSize,
  ...config.databaseTimeouts,
});
const app = createOrdersApp({
  db,
  auth: config.auth,
  logger,
  customersApiBase: config.customersApiBase,
  customersApiTimeoutMs: config.customersApiTimeoutMs,
  abandonedClaimSeconds: config.abandonedClaimSeconds,
  idempotencyKeyTtlHours: config.idempotencyKeyTtlHours,
  cancelWindowMinutes: config.cancelWindowMinutes,
  cursorSecret: config.cursorSecret,
  corsAllowedOrigins: config.corsAllowedOrigins,
});
const stopIdempotencyKeyCleanup = scheduleIdempotencyKeyCleanup(db, logger);
const reservationExpiry = scheduleReservationExpiry(db, logger, {
  ttlMinutes: config.reservationTtlMinutes,
  intervalSeconds: config.reservationSweepIntervalSeconds,
  batchSize: config.reservationSweepBatchSize,
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
    await db.dispose();
  },
});
