import { ConfigError, connectDatabase, createLogger, runHttpServer } from '@b2b/service-kit';
import { createOrdersApp } from './app';
import { readOrdersApiConfig, type OrdersApiConfig } from './config';
import { scheduleIdempotencyKeyCleanup } from './idempotency/idempotency';

let config: OrdersApiConfig;
try {
  config = readOrdersApiConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const logger = createLogger({ service: 'orders-api', level: config.logLevel });
const db = connectDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
const app = createOrdersApp({
  db,
  auth: config.auth,
  logger,
  customersApiBase: config.customersApiBase,
  customersApiTimeoutMs: config.customersApiTimeoutMs,
  idempotencyKeyTtlHours: config.idempotencyKeyTtlHours,
  cancelWindowMinutes: config.cancelWindowMinutes,
});
const stopIdempotencyKeyCleanup = scheduleIdempotencyKeyCleanup(db, logger);

await runHttpServer(app, {
  name: 'orders-api',
  host: config.host,
  port: config.port,
  logger,
  onShutdown: async () => {
    stopIdempotencyKeyCleanup();
    await db.dispose();
  },
});
