import { Router, type Express } from 'express';
import {
  createCustomersClient,
  createServiceApp,
  type AuthConfig,
  type Contract,
  type Database,
  type Logger,
} from '@b2b/service-kit';
import contract from '../../generated/orders.openapi.json';
import { orderRoutes } from './orders/routes';
import { productRoutes } from './products/routes';

export interface OrdersAppOptions {
  db: Database;
  auth: AuthConfig;
  logger: Logger;
  customersApiBase: string;
  customersApiTimeoutMs?: number;
  idempotencyKeyTtlHours?: number;
  cancelWindowMinutes?: number;
  /** Turns a response that violates the contract into a 500: on in tests. */
  validateResponses?: boolean;
}

/** Builds the Orders API (no listen): the contract, its validation and auth, and the routes. */
export function createOrdersApp(options: OrdersAppOptions): Express {
  const customers = createCustomersClient({
    baseUrl: options.customersApiBase,
    bearerToken: options.auth.serviceToken,
    timeoutMs: options.customersApiTimeoutMs ?? 3000,
  });
  const routes = Router();
  routes.use(productRoutes(options.db));
  routes.use(
    orderRoutes({
      db: options.db,
      customers,
      idempotencyKeyTtlHours: options.idempotencyKeyTtlHours ?? 24,
      cancelWindowMinutes: options.cancelWindowMinutes ?? 10,
    }),
  );
  return createServiceApp({
    contract: contract as Contract,
    db: options.db,
    auth: options.auth,
    logger: options.logger,
    routes,
    validateResponses: options.validateResponses,
  });
}
