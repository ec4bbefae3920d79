import { ConfigError, connectDatabase, createLogger, runHttpServer } from '@b2b/service-kit';
import { createCustomersApp } from './app';
import { readCustomersApiConfig, type CustomersApiConfig } from './config';

function readConfigOrExit(): CustomersApiConfig {
  try {
    return readCustomersApiConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Before a logger exists, and meant for a person reading the terminal.
    console.error(`customers-api: ${error.message}`);
    process.exit(1);
  }
}

const config = readConfigOrExit();
const logger = createLogger({ service: 'customers-api', level: config.logLevel });
const db = connectDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
const app = createCustomersApp({
  db,
  auth: config.auth,
  logger,
  tokenTtlSeconds: config.jwtTtlSeconds,
});

await runHttpServer(app, {
  name: 'Customers API',
  host: config.host,
  port: config.port,
  logger,
  onShutdown: () => db.dispose(),
});
