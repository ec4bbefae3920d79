import {
  ENVIRONMENTS,
  EnvReader,
  readAllowedOrigins,
  readAuthConfig,
  type AuthConfig,
  type Environment,
} from '@b2b/service-kit';

export interface RetryPolicy {
  /** Attempts after the first one; 0 disables retries. */
  retries: number;
  /** Backoff before retry n is a random delay up to baseDelayMs × 2^n, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface OrchestratorConfig {
  environment: Environment;
  ordersApiBase: string;
  auth: AuthConfig;
  upstreamTimeoutMs: number;
  retry: RetryPolicy;
  logLevel: string;
  /** Origins whose browser pages may call the orchestrator (CORS, src/cors.ts); empty: none. */
  corsAllowedOrigins: string[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function readUrl(reader: EnvReader, name: string, fallback: string): string {
  const value = reader.string(name, { default: fallback }).replace(/\/+$/, '');
  if (!URL.canParse(value)) reader.reject(`${name} must be an absolute URL (got "${value}")`);
  return value;
}

/**
 * Reads the orchestrator's settings once per Lambda container. Outside development and
 * test, a missing or development JWT secret or service token is refused (readAuthConfig).
 */
export function readOrchestratorConfig(env: Record<string, string | undefined>): OrchestratorConfig {
  const reader = new EnvReader(env);
  const environment = reader.oneOf('NODE_ENV', ENVIRONMENTS, 'development');
  const config: OrchestratorConfig = {
    environment,
    ordersApiBase: readUrl(reader, 'ORDERS_API_BASE', 'http://127.0.0.1:3002'),
    auth: readAuthConfig(reader, environment),
    upstreamTimeoutMs: reader.integer('UPSTREAM_TIMEOUT_MS', { default: 3_000, min: 100, max: 25_000 }),
    retry: {
      retries: reader.integer('UPSTREAM_RETRIES', { default: 2, min: 0, max: 5 }),
      baseDelayMs: 100,
      maxDelayMs: 1_000,
    },
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    corsAllowedOrigins: readAllowedOrigins(reader),
  };
  reader.done();
  return config;
}
