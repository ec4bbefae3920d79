import {
  connectDatabase,
  createLogger,
  createMetricsRegistry,
  loadEnvFiles,
  readConfigOrExit,
  runHttpServer,
} from '@b2b/service-kit';
import { createCustomersApp } from './app';
import { readCustomersApiConfig } from './config';
import { createCustomersMetrics } from './metrics';

// customers-api/.env, from src/ (tsx) and from dist/ (the bundle) alike; the environment wins.
loadEnvFiles(new URL('../.env', import.meta.url));
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
  metrics: createCustomersMetrics(createMetricsRegistry({ processMetrics: true })),
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
