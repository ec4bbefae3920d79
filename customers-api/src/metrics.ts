import { Counter, createMetricsRegistry, type Registry } from '@b2b/service-kit';

/** How a log-in attempt ended: a token, a wrong username or password, or refused by the throttle unchecked. */
export type LoginOutcome = 'succeeded' | 'invalid_credentials' | 'throttled';

/**
 * The Customers API's own counters, served at GET /metrics next to the request and pool
 * metrics (docs/operations.md "Metrics").
 */
export interface CustomersMetrics {
  registry: Registry;
  /** Log-in attempts by outcome; `throttled` are the 429 TOO_MANY_LOGIN_ATTEMPTS refusals. */
  loginAttempts: Counter<'outcome'>;
}

const LOGIN_OUTCOMES: LoginOutcome[] = ['succeeded', 'invalid_credentials', 'throttled'];

/**
 * The Customers API's counters in `registry` (a new one when absent: tests build one per
 * app; the server passes one that also collects process metrics). Every outcome starts at 0.
 */
export function createCustomersMetrics(registry: Registry = createMetricsRegistry()): CustomersMetrics {
  const loginAttempts = new Counter({
    name: 'login_attempts_total',
    help: 'Log-in attempts (POST /auth/token) by outcome: succeeded, invalid_credentials, throttled (429).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of LOGIN_OUTCOMES) loginAttempts.inc({ outcome }, 0);
  return { registry, loginAttempts };
}
