import { connectDatabase, createLogger, readConfigOrExit, runHttpServer } from '@b2b/service-kit';
import { createCustomersApp } from './app';
import { readCustomersApiConfig } from './config';

const config = readConfigOrExit('customers-api', () => readCustomersApiConfig());
const logger = createLogger({ service: 'customers-api', level: config.logLevel });
const db = connectDatabase(config.databaseUrl, {
  poolSize: config.databasePoolSize,
  ...config.databaseTimeouts,
});
const app = createCustomersApp({
  db,
  auth: config.auth,
  logger,
  trustProxyHops: config.trustProxyHops,
  cursorSecret: config.cursorSecret,
  corsAllowedOrigins: config.corsAllowedOrigins,
});

await runHttpServer(app, {
  name: 'Customers API',
  host: config.host,
  port: config.port,
  logger,
  timeouts: config.httpTimeouts,
  shutdownGraceMs: config.shutdownGraceMs,
  onShutdown: () => db.dispose(),
});
