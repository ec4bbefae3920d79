import {
  connectDatabase,
  createLogger,
  createMetricsRegistry,
  loadEnvFiles,
  readConfigOrExit,
  runHttpServer,
  startEventRelay,
} from '@b2b/service-kit';
import { createCustomersApp } from './app';
import { readCustomersApiConfig } from './config';
import { CUSTOMERS_OUTBOX } from './events';
import { createCustomersMetrics } from './metrics';

// customers-api/.env, from src/ (tsx) and from dist/ (the bundle) alike; the environment wins.
loadEnvFiles(new URL('../.env', import.meta.url));
const config = readConfigOrExit('customers-api', () => readCustomersApiConfig());
const logger = createLogger({ service: 'customers-api', level: config.logLevel });
const db = connectDatabase(config.databaseUrl, {
  poolSize: config.databasePoolSize,
  ...config.databaseTimeouts,
});
const metrics = createCustomersMetrics(createMetricsRegistry({ processMetrics: true }));
// EVENTS=off: no event is written, so none is relayed.
const eventRelay =
  config.events.events === 'off'
    ? undefined
    : startEventRelay({
        db,
        outbox: CUSTOMERS_OUTBOX,
        broker: config.events.broker,
        retentionHours: config.events.retentionHours,
        logger,
        registry: metrics.registry,
      });
const app = createCustomersApp({
  db,
  auth: config.auth,
  logger,
  trustProxyHops: config.trustProxyHops,
  cursorSecret: config.cursorSecret,
  corsAllowedOrigins: config.corsAllowedOrigins,
  metrics,
  events: config.events.events,
  eventRelay,
});

await runHttpServer(app, {
  name: 'Customers API',
  host: config.host,
  port: config.port,
  logger,
  timeouts: config.httpTimeouts,
  shutdownGraceMs: config.shutdownGraceMs,
  onShutdown: async () => {
    // Its cycle in progress ends (committed or rolled back) before the pool closes.
    await eventRelay?.stop();
    await db.dispose();
  },
});
