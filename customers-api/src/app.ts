import { randomBytes } from 'node:crypto';
import type { CustomersApiEvent } from '@b2b/contracts/events';
import type { Express } from 'express';
import { document, type paths } from '@b2b/contracts/customers';
import {
  contractRouter,
  createCursorKey,
  createServiceApp,
  listFeedEvents,
  type ApiHandlers,
  type AuthConfig,
  type Database,
  type EventRelay,
  type Logger,
} from '@b2b/service-kit';
import { createLoginThrottle, type LoginThrottlePolicy } from './auth/login-throttle';
import { DEFAULT_SCRYPT_COST, type ScryptCost } from './auth/passwords';
import { authHandlers } from './auth/routes';
import { customerHandlers } from './customers/routes';
import { CUSTOMERS_OUTBOX } from './events';
import { createCustomersMetrics, type CustomersMetrics } from './metrics';

export interface CustomersAppOptions {
  db: Database;
  auth: AuthConfig;
  logger: Logger;
  /** Turns a response that violates the contract into a 500: on in tests. */
  validateResponses?: boolean;
  /** Origins whose browser pages may call this API (CORS); none when absent. */
  corsAllowedOrigins?: string[];
  /** EVENTS: `off` writes no events (default `on`). */
  events?: 'on' | 'off';
  /** The event relay of this process, whose state /health reports; none (`off`) when absent, as in most tests. */
  eventRelay?: Pick<EventRelay, 'state'>;
  /**
   * How many reverse proxies in front of the API to trust for X-Forwarded-For
   * (TRUST_PROXY_HOPS). 0, the default, trusts none: the client is the TCP peer, so no
   * client can pick the address the log-in throttle counts it under.
   */
  trustProxyHops?: number;
  /** The log-in throttle's limits (tests make them small); DEFAULT_LOGIN_THROTTLE_POLICY. */
  loginThrottlePolicy?: LoginThrottlePolicy;
  /** The scrypt cost of new password hashes (tests make it cheap); DEFAULT_SCRYPT_COST. */
  passwordCost?: ScryptCost;
  /**
   * CURSOR_SECRET, the key of list cursors. Without it a random key is made: cursors then
   * hold only within this app (enough for a test); a server passes the configured secret
   * so every replica and restart accepts them.
   */
  cursorSecret?: string;
  /** Its counters, served at GET /metrics; new ones when absent. */
  metrics?: CustomersMetrics;
}

/** The Customers API as an Express app, without `listen`: server.ts and tests mount it. */
export function createCustomersApp(options: CustomersAppOptions): Express {
  const metrics = options.metrics ?? createCustomersMetrics();
  const cursorKey = createCursorKey(options.cursorSecret ?? randomBytes(32));
  const handlers: ApiHandlers<paths> = {
    ...authHandlers({
      db: options.db,
      auth: options.auth,
      throttle: createLoginThrottle(options.db, options.loginThrottlePolicy),
      passwordCost: options.passwordCost ?? DEFAULT_SCRYPT_COST,
      metrics,
    }),
    ...customerHandlers(options.db, cursorKey, options.events === 'off' ? undefined : CUSTOMERS_OUTBOX),
    '/events': {
      get: async ({ query }) => ({
        status: 200,
        body: await listFeedEvents<CustomersApiEvent>(options.db, CUSTOMERS_OUTBOX, query, cursorKey),
      }),
    },
  };
  const app = createServiceApp({
    contract: document,
    db: options.db,
    auth: options.auth,
    logger: options.logger,
    routes: contractRouter<paths>(document, handlers),
    validateResponses: options.validateResponses,
    corsAllowedOrigins: options.corsAllowedOrigins,
    metrics: metrics.registry,
    eventRelay: options.eventRelay,
  });
  // Read by `request.ip` (the handlers' clientAddress) on every request.
  app.set('trust proxy', options.trustProxyHops ?? 0);
  return app;
}
