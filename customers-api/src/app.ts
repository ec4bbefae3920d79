import { Router, type Express } from 'express';
import {
  createServiceApp,
  type AuthConfig,
  type Contract,
  type Database,
  type Logger,
} from '@b2b/service-kit';
import contract from '../../generated/customers.openapi.json';
import { authRoutes } from './auth/routes';
import { DEFAULT_TOKEN_TTL_SECONDS } from './auth/operators';
import { customerRoutes } from './customers/routes';

export interface CustomersAppOptions {
  db: Database;
  auth: AuthConfig;
  logger: Logger;
  /** Turns a response that violates the contract into a 500: on in tests. */
  validateResponses?: boolean;
  tokenTtlSeconds?: number;
}

/** The Customers API as an Express app, without `listen`: server.ts and tests mount it. */
export function createCustomersApp(options: CustomersAppOptions): Express {
  const routes = Router();
  routes.use(
    authRoutes({
      db: options.db,
      auth: options.auth,
      tokenTtlSeconds: options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
    }),
  );
  routes.use(customerRoutes(options.db));
  return createServiceApp({
    contract: contract as Contract,
    db: options.db,
    auth: options.auth,
    logger: options.logger,
    routes,
    validateResponses: options.validateResponses,
  });
}
