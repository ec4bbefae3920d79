import type { Express } from 'express';
import { document, type paths } from '@b2b/contracts/customers';
import {
  contractRouter,
  createServiceApp,
  type ApiHandlers,
  type AuthConfig,
  type Database,
  type Logger,
} from '@b2b/service-kit';
import { DEFAULT_TOKEN_TTL_SECONDS } from './auth/operators';
import { authHandlers } from './auth/routes';
import { customerHandlers } from './customers/routes';

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
  const handlers: ApiHandlers<paths> = {
    ...authHandlers({
      db: options.db,
      auth: options.auth,
      tokenTtlSeconds: options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
    }),
    ...customerHandlers(options.db),
  };
  return createServiceApp({
    contract: document,
    db: options.db,
    auth: options.auth,
    logger: options.logger,
    routes: contractRouter<paths>(document, handlers),
    validateResponses: options.validateResponses,
  });
}
