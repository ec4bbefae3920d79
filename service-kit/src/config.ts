/**
 * Configuration is read once, from the environment, at start-up. Every problem is
 * collected and reported together so a misconfigured service says everything at once.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * For a part's entry point, before it reads its configuration: loads the part's `.env`
 * (dotenv syntax, Node's own parser; values are taken literally, `${OTHER}` is not expanded)
 * into process.env. A variable already in the environment wins, even when empty: Node's
 * process.loadEnvFile never overwrites one, so `PORT=4000 npm start -w customers-api` beats
 * the file (test/env-file.test.ts holds Node to that). Several files: the first that sets a
 * variable wins. A missing file is normal (containers and AWS pass the environment alone).
 * Returns the files that were read.
 */
export function loadEnvFiles(...files: (string | URL)[]): (string | URL)[] {
  return files.filter((file) => {
    try {
      process.loadEnvFile(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  });
}

/**
 * For a service's entry point: reads the configuration, or prints every problem for the
 * person at the terminal (no logger exists yet) and exits 1.
 */
export function readConfigOrExit<Config>(service: string, read: () => Config): Config {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${service}: ${error.message}`);
    process.exit(1);
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, options: { default?: string } = {}): string {
    const value = this.env[name]?.trim();
    if (value) return value;
    if (options.default !== undefined) return options.default;
    this.problems.push(`${name} is required`);
    return '';
  }

  integer(name: string, options: { default: number; min?: number; max?: number }): number {
    const raw = this.env[name]?.trim();
    if (!raw) return options.default;
    const value = Number(raw);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return options.default;
    }
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  }

  /** Adds a problem found by a rule that spans several variables. */
  reject(problem: string): void {
    this.problems.push(problem);
  }

  /** Throws a ConfigError listing every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

export const ENVIRONMENTS = ['development', 'test', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Secrets that make local development work out of the box and are refused anywhere else. */
export const DEVELOPMENT_SECRETS = {
  JWT_SECRET: 'development-jwt-secret-change-me-0123456789',
  SERVICE_TOKEN: 'development-service-token-change-me',
} as const;

export interface AuthConfig {
  jwtSecret: string;
  jwtIssuer: string;
  jwtAudience: string;
  serviceToken: string;
  /**
   * Lifetime of operator tokens (JWT_TTL_SECONDS): the Customers API issues tokens for this
   * long, and every part refuses a token whose lifetime or age exceeds it.
   */
  tokenTtlSeconds: number;
}

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/**
 * Reads JWT_SECRET, SERVICE_TOKEN, the expected issuer and audience and the token lifetime
 * (one JWT_TTL_SECONDS for the issuer and every verifier). In development and test a
 * missing secret falls back to a documented development secret; anywhere else a missing or
 * development secret stops the service from starting.
 */
export function readAuthConfig(reader: EnvReader, environment: Environment): AuthConfig {
  const secret = (name: keyof typeof DEVELOPMENT_SECRETS, minLength: number): string =>
    readSecret(reader, environment, { name, developmentValue: DEVELOPMENT_SECRETS[name], minLength });
  return {
    jwtSecret: secret('JWT_SECRET', 32),
    serviceToken: secret('SERVICE_TOKEN', 16),
    jwtIssuer: reader.string('JWT_ISSUER', { default: 'b2b-orders-customers-api' }),
    jwtAudience: reader.string('JWT_AUDIENCE', { default: 'b2b-orders-backoffice' }),
    tokenTtlSeconds: reader.integer('JWT_TTL_SECONDS', {
      default: DEFAULT_TOKEN_TTL_SECONDS,
      min: 60,
      max: 24 * 3600,
    }),
  };
}

/** CURSOR_SECRET in development and test; the contracts' example cursors are signed with it. */
export const DEVELOPMENT_CURSOR_SECRET = 'development-cursor-secret-change-me-0123456789';

/**
 * Reads CURSOR_SECRET, the HMAC key that signs list cursors, by the rules of the auth
 * secrets: development and test fall back to DEVELOPMENT_CURSOR_SECRET; anywhere else a
 * missing, development or placeholder value stops the service. Its own secret rather than
 * one derived from JWT_SECRET: the orchestrator, which holds JWT_SECRET, has no business
 * minting cursors, and rotating either secret leaves the other alone. Every replica of an
 * API needs the same value; changing it invalidates the cursors clients hold.
 */
export function readCursorSecret(reader: EnvReader, environment: Environment): string {
  return readSecret(reader, environment, {
    name: 'CURSOR_SECRET',
    developmentValue: DEVELOPMENT_CURSOR_SECRET,
    minLength: 32,
  });
}

/**
 * One secret by the rules every secret here follows: development and test fall back to its
 * documented development value; anywhere else a missing, development or placeholder
 * (`change-me`) value, or one shorter than `minLength`, stops the service from starting.
 */
function readSecret(
  reader: EnvReader,
  environment: Environment,
  secret: { name: string; developmentValue: string; minLength: number },
): string {
  const { name, developmentValue, minLength } = secret;
  const isLocal = environment === 'development' || environment === 'test';
  const value = reader.string(name, isLocal ? { default: developmentValue } : {});
  if (!value) return value;
  if (!isLocal && (value === developmentValue || /change-?me/i.test(value))) {
    reader.reject(
      `${name} must not be the development default or a placeholder when NODE_ENV=${environment}`,
    );
  } else if (value.length < minLength) {
    reader.reject(`${name} must be at least ${minLength} characters long`);
  }
  return value;
}

export const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/b2b_orders';

/**
 * How long the HTTP server waits on a client (Node's server.headersTimeout, requestTimeout
 * and keepAliveTimeout), all in ms. Node's defaults hold an idle or slow client for ~88 s.
 */
export interface HttpTimeouts {
  /** The request line and headers must arrive within this (HTTP_HEADERS_TIMEOUT_MS); else 408. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (HTTP_REQUEST_TIMEOUT_MS); else 408. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveTimeoutMs: number;
}

/** How long a database operation may wait, in ms (see connectDatabase). */
export interface DatabaseTimeouts {
  /** For a connection: from the pool, or a new one being opened (DATABASE_ACQUIRE_TIMEOUT_MS). */
  acquireTimeoutMs: number;
  /** For one query or one whole transaction once it holds its connection (DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
}

export interface ServiceConfig {
  environment: Environment;
  host: string;
  port: number;
  databaseUrl: string;
  databasePoolSize: number;
  databaseTimeouts: DatabaseTimeouts;
  httpTimeouts: HttpTimeouts;
  /** On SIGTERM, how long in-flight requests may take to finish before they are cut off (SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  logLevel: string;
  auth: AuthConfig;
  /** Origins whose pages may call the API from a browser (CORS); empty: none. */
  corsAllowedOrigins: string[];
}

/** The settings every API shares. Call `reader.done()` after reading service-specific ones. */
export function readServiceConfig(reader: EnvReader, defaults: { port: number }): ServiceConfig {
  const environment = reader.oneOf('NODE_ENV', ENVIRONMENTS, 'development');
  return {
    environment,
    host: reader.string('HOST', { default: '127.0.0.1' }),
    port: reader.integer('PORT', { default: defaults.port, min: 0, max: 65535 }),
    databaseUrl:
      environment === 'production'
        ? reader.string('DATABASE_URL')
        : reader.string('DATABASE_URL', { default: DEFAULT_DATABASE_URL }),
    databasePoolSize: reader.integer('DATABASE_POOL_SIZE', { default: 10, min: 1, max: 200 }),
    databaseTimeouts: {
      acquireTimeoutMs: reader.integer('DATABASE_ACQUIRE_TIMEOUT_MS', {
        default: 5000,
        min: 100,
        max: 60_000,
      }),
      statementTimeoutMs: reader.integer('DATABASE_STATEMENT_TIMEOUT_MS', {
        default: 3000,
        min: 100,
        max: 300_000,
      }),
    },
    httpTimeouts: readHttpTimeouts(reader),
    shutdownGraceMs: reader.integer('SHUTDOWN_GRACE_MS', { default: 10_000, min: 0, max: 120_000 }),
    logLevel: reader.oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      'info',
    ),
    auth: readAuthConfig(reader, environment),
    corsAllowedOrigins: readAllowedOrigins(reader),
  };
}

/**
 * HTTP_HEADERS_TIMEOUT_MS (10 s), HTTP_REQUEST_TIMEOUT_MS (30 s) and HTTP_KEEP_ALIVE_TIMEOUT_MS
 * (5 s). Node refuses a headers timeout longer than the request timeout, so that is a
 * configuration error here too.
 */
function readHttpTimeouts(reader: EnvReader): HttpTimeouts {
  const timeouts: HttpTimeouts = {
    headersTimeoutMs: reader.integer('HTTP_HEADERS_TIMEOUT_MS', { default: 10_000, min: 1000, max: 300_000 }),
    requestTimeoutMs: reader.integer('HTTP_REQUEST_TIMEOUT_MS', {
      default: 30_000,
      min: 1000,
      max: 3_600_000,
    }),
    // Whole seconds at least: Node announces it to clients as `Keep-Alive: timeout=<seconds>`.
    keepAliveTimeoutMs: reader.integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', {
      default: 5000,
      min: 1000,
      max: 300_000,
    }),
  };
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    reader.reject(
      'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS ' +
        `(got ${timeouts.headersTimeoutMs} and ${timeouts.requestTimeoutMs})`,
    );
  }
  return timeouts;
}

/**
 * CORS_ALLOWED_ORIGINS: a comma-separated list of origins (`https://console.example`)
 * whose browser pages may call the API (the APIs and the orchestrator). Empty (the
 * default): no cross-origin access. `*` is refused: the callers send bearer credentials.
 */
export function readAllowedOrigins(reader: EnvReader): string[] {
  const origins = reader
    .string('CORS_ALLOWED_ORIGINS', { default: '' })
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    const isOrigin = URL.canParse(origin) && new URL(origin).origin === origin;
    if (!isOrigin)
      reader.reject(
        `CORS_ALLOWED_ORIGINS must list origins such as https://console.example (got "${origin}")`,
      );
  }
  return origins;
}

/** The events settings of an API (docs/events.md). */
export interface EventsConfig {
  /** EVENTS: `off` writes no event at all (no outbox rows, an empty feed, nothing published). */
  events: 'on' | 'off';
  /** Where the relay publishes; undefined when EVENTS_PUBLISH=off (the outbox and the feed still work). */
  broker: { url: string; stream: string; subjectPrefix: string } | undefined;
  /** OUTBOX_RETENTION_HOURS: how long published events stay in the outbox, and in the GET /events feed. */
  retentionHours: number;
}

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * EVENTS (on | off, default on: off writes no events at all, for a deployment that wants none
 * and for `npm run bench`'s measure of what they cost), NATS_URL (default nats://127.0.0.1:4222), EVENTS_PUBLISH (on | off, default on: events go
 * to a broker unless explicitly turned off), EVENTS_STREAM and EVENTS_SUBJECT_PREFIX (this
 * API's stream and subjects by default; tests give their own) and OUTBOX_RETENTION_HOURS.
 */
export function readEventsConfig(
  reader: EnvReader,
  defaults: { stream: string; subjectPrefix: string },
): EventsConfig {
  const events = reader.oneOf('EVENTS', ['on', 'off'] as const, 'on');
  const publish = reader.oneOf('EVENTS_PUBLISH', ['on', 'off'] as const, 'on');
  const url = reader.string('NATS_URL', { default: DEFAULT_NATS_URL });
  const stream = reader.string('EVENTS_STREAM', { default: defaults.stream });
  const subjectPrefix = reader.string('EVENTS_SUBJECT_PREFIX', { default: defaults.subjectPrefix });
  const retentionHours = reader.integer('OUTBOX_RETENTION_HOURS', { default: 168, min: 1, max: 24 * 365 });
  if (publish === 'on' && !/^(nats|tls|wss?):\/\/[^\s/]+/.test(url)) {
    reader.reject(`NATS_URL must be a nats:// URL (got "${url}")`);
  }
  // JetStream stream names: no spaces, dots, wildcards or path separators.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream))
    reader.reject(`EVENTS_STREAM must be a stream name of letters, digits, _ and - (got "${stream}")`);
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subjectPrefix)) {
    reader.reject(
      `EVENTS_SUBJECT_PREFIX must be dot-separated NATS tokens without wildcards (got "${subjectPrefix}")`,
    );
  }
  const broker = events === 'on' && publish === 'on' ? { url, stream, subjectPrefix } : undefined;
  return { events, broker, retentionHours };
}
