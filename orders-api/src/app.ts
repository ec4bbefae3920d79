import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { createCustomersClient } from '@b2b/contracts/customers';
import { document, type paths } from '@b2b/contracts/orders';
import {
  contractRouter,
  createCursorKey,
  createServiceApp,
  type ApiHandlers,
  type AuthConfig,
  type Database,
  type Logger,
} from '@b2b/service-kit';
import { createOrdersMetrics, type OrdersMetrics } from './metrics';
import { orderHandlers } from './orders/routes';
import { productHandlers } from './products/routes';

export interface OrdersAppOptions {
  db: Database;
  auth: AuthConfig;
  logger: Logger;
  customersApiBase: string;
  customersApiTimeoutMs?: number;
  idempotencyKeyTtlHours?: number;
  abandonedClaimSeconds?: number;
  cancelWindowMinutes?: number;
  /**
   * CURSOR_SECRET, the key of list cursors. Without it a random key is made: cursors then
   * hold only within this app (enough for a test); a server passes the configured secret
   * so every replica and restart accepts them.
   */
  cursorSecret?: string;
  /** Turns a response that violates the contract into a 500: on in tests. */
  validateResponses?: boolean;
  /** Origins whose browser pages may call this API (CORS); none when absent. */
  corsAllowedOrigins?: string[];
  /** Its counters, served at GET /metrics; new ones when absent (the server shares them with the sweep). */
  metrics?: OrdersMetrics;
}

/** Builds the Orders API (no listen): the contract, its validation and auth, and the handlers. */
export function createOrdersApp(options: OrdersAppOptions): Express {
  const customers = createCustomersClient({
    baseUrl: options.customersApiBase,
    bearerToken: options.auth.serviceToken,
    timeoutMs: options.customersApiTimeoutMs ?? 3000,
  });
  const cursorKey = createCursorKey(options.cursorSecret ?? randomBytes(32));
  const metrics = options.metrics ?? createOrdersMetrics();
  const handlers: ApiHandlers<paths> = {
    ...productHandlers(options.db, cursorKey),
    ...orderHandlers({
      db: options.db,
      customers,
      idempotencyKeyTtlHours: options.idempotencyKeyTtlHours ?? 24,
      abandonedClaimSeconds: options.abandonedClaimSeconds ?? 120,
      cancelWindowMinutes: options.cancelWindowMinutes ?? 10,
      cursorKey,
      metrics,
      logger: options.logger,
    }),
  };
  return createServiceApp({
    contract: document,
    db: options.db,
    auth: options.auth,
    logger: options.logger,
    routes: contractRouter<paths>(document, handlers),
    validateResponses: options.validateResponses,
    corsAllowedOrigins: options.corsAllowedOrigins,
    metrics: metrics.registry,
  });
}
