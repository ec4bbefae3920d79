import { connectDatabase, createLogger, readConfigOrExit, runHttpServer } from '@b2b/service-kit';
import { createOrdersApp } from './app';
import { readOrdersApiConfig } from './config';
import { scheduleIdempotencyKeyCleanup } from './idempotency/idempotency';

const config = readConfigOrExit('orders-api', () => readOrdersApiConfig());

const logger = createLogger({ service: 'orders-api', level: config.logLevel });
const db = connectDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
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

await runHttpServer(app, {
  name: 'Orders API',
  host: config.host,
  port: config.port,
  logger,
  onShutdown: async () => {
    stopIdempotencyKeyCleanup();
    await db.dispose();
  },
});
