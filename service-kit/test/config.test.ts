import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  DEFAULT_DATABASE_URL,
  DEVELOPMENT_SECRETS,
  EnvReader,
  readAuthConfig,
  readConfigOrExit,
  readServiceConfig,
  type Environment,
} from '../src/config';

const REAL_SECRETS = {
  JWT_SECRET: 'a-real-jwt-secret-of-at-least-32-characters',
  SERVICE_TOKEN: 'a-real-service-token',
};

/** Reads the shared settings from `env` and returns them, or the problems reported. */
function readService(env: Record<string, string | undefined>) {
  const reader = new EnvReader(env);
  const config = readServiceConfig(reader, { port: 3001 });
  try {
    reader.done();
    return { config, problems: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { config, problems: error.problems };
  }
}

function readAuth(env: Record<string, string | undefined>, environment: Environment) {
  const reader = new EnvReader(env);
  const auth = readAuthConfig(reader, environment);
  try {
    reader.done();
    return { auth, problems: [] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { auth, problems: error.problems };
  }
}

describe('EnvReader', () => {
  it('when a required string is missing or blank, then done() reports it as required', () => {
    const reader = new EnvReader({ BLANK: '   ' });

    reader.string('MISSING');
    reader.string('BLANK');

    expect(() => reader.done()).toThrow(ConfigError);
    expect(() => reader.done()).toThrow(/MISSING is required/);
    expect(() => reader.done()).toThrow(/BLANK is required/);
  });

  it('when a string is set, then it is read trimmed; when unset with a default, then the default', () => {
    const reader = new EnvReader({ HOST: '  0.0.0.0 ' });

    expect(reader.string('HOST')).toBe('0.0.0.0');
    expect(reader.string('OTHER', { default: 'fallback' })).toBe('fallback');
    expect(() => reader.done()).not.toThrow();
  });

  it.each([
    ['not a number', 'abc'],
    ['a fraction', '1.5'],
    ['below the minimum', '0'],
    ['above the maximum', '101'],
  ])('when an integer is %s, then it is reported with its range and the value given', (_, raw) => {
    const reader = new EnvReader({ SIZE: raw });

    expect(reader.integer('SIZE', { default: 10, min: 1, max: 100 })).toBe(10);
    expect(() => reader.done()).toThrow(`SIZE must be an integer from 1 to 100 (got "${raw}")`);
  });

  it('when an integer is within its range, then it is read as a number; when unset, then the default', () => {
    const reader = new EnvReader({ SIZE: ' 100 ' });

    expect(reader.integer('SIZE', { default: 10, min: 1, max: 100 })).toBe(100);
    expect(reader.integer('UNSET', { default: 10, min: 1, max: 100 })).toBe(10);
    expect(() => reader.done()).not.toThrow();
  });

  it('when a value is not one of those allowed, then it is reported with the allowed values', () => {
    const reader = new EnvReader({ LEVEL: 'loud' });

    expect(reader.oneOf('LEVEL', ['info', 'warn'], 'info')).toBe('info');
    expect(() => reader.done()).toThrow('LEVEL must be one of info, warn (got "loud")');
  });

  it('when several settings are wrong, then done() reports every problem at once', () => {
    const reader = new EnvReader({ PORT: 'x', LEVEL: 'loud' });
    reader.string('REQUIRED');
    reader.integer('PORT', { default: 1, min: 0, max: 65535 });
    reader.oneOf('LEVEL', ['info'], 'info');
    reader.reject('A and B must not both be set');

    let thrown: unknown;
    try {
      reader.done();
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      'REQUIRED is required',
      'PORT must be an integer from 0 to 65535 (got "x")',
      'LEVEL must be one of info (got "loud")',
      'A and B must not both be set',
    ]);
  });
});

describe('readServiceConfig', () => {
  it('when nothing is set, then development defaults apply', () => {
    const { config, problems } = readService({});

    expect(problems).toEqual([]);
    expect(config).toEqual({
      environment: 'development',
      host: '127.0.0.1',
      port: 3001,
      databaseUrl: DEFAULT_DATABASE_URL,
      databasePoolSize: 10,
      databaseTimeouts: { acquireTimeoutMs: 5000, statementTimeoutMs: 3000 },
      httpTimeouts: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5000 },
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      auth: {
        jwtSecret: DEVELOPMENT_SECRETS.JWT_SECRET,
        serviceToken: DEVELOPMENT_SECRETS.SERVICE_TOKEN,
        jwtIssuer: 'b2b-orders-customers-api',
        jwtAudience: 'b2b-orders-backoffice',
        tokenTtlSeconds: 3600,
      },
      corsAllowedOrigins: [],
    });
  });

  it('when the timeouts and the grace period are set, then they are used', () => {
    const { config, problems } = readService({
      DATABASE_ACQUIRE_TIMEOUT_MS: '800',
      DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '4000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
      SHUTDOWN_GRACE_MS: '0',
    });

    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      databaseTimeouts: { acquireTimeoutMs: 800, statementTimeoutMs: 1500 },
      httpTimeouts: { headersTimeoutMs: 2000, requestTimeoutMs: 4000, keepAliveTimeoutMs: 1000 },
      shutdownGraceMs: 0,
    });
  });

  it('when the headers timeout exceeds the request timeout, then it is refused (Node would throw)', () => {
    expect(
      readService({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }).problems,
    ).toEqual(['HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (got 20000 and 10000)']);
  });

  it.each([
    ['DATABASE_STATEMENT_TIMEOUT_MS', '0'],
    ['DATABASE_ACQUIRE_TIMEOUT_MS', '-1'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', 'soon'],
    ['SHUTDOWN_GRACE_MS', '600000'],
  ])('when %s is %s, then it is reported', (name, value) => {
    expect(readService({ [name]: value }).problems).toEqual([expect.stringContaining(name)]);
  });

  it('when CORS_ALLOWED_ORIGINS lists origins, then they are allowed; anything that is not an origin is refused', () => {
    expect(
      readService({ CORS_ALLOWED_ORIGINS: 'http://127.0.0.1:5173, https://console.example' }).config
        .corsAllowedOrigins,
    ).toEqual(['http://127.0.0.1:5173', 'https://console.example']);
    for (const notAnOrigin of ['*', 'console.example', 'https://console.example/path']) {
      expect(readService({ CORS_ALLOWED_ORIGINS: notAnOrigin }).problems).toEqual([
        `CORS_ALLOWED_ORIGINS must list origins such as https://console.example (got "${notAnOrigin}")`,
      ]);
    }
  });

  it('when NODE_ENV is not a known environment, then it is reported', () => {
    expect(readService({ NODE_ENV: 'staging' }).problems).toContain(
      'NODE_ENV must be one of development, test, production (got "staging")',
    );
  });

  it.each([
    ['PORT', '65536', 'PORT must be an integer from 0 to 65535 (got "65536")'],
    ['DATABASE_POOL_SIZE', '0', 'DATABASE_POOL_SIZE must be an integer from 1 to 200 (got "0")'],
    [
      'LOG_LEVEL',
      'verbose',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ],
  ])('when %s is %s, then it is reported', (name, value, problem) => {
    expect(readService({ [name]: value }).problems).toEqual([problem]);
  });

  it('when in production without DATABASE_URL, then it is required (no local default)', () => {
    const { problems } = readService({ NODE_ENV: 'production', ...REAL_SECRETS });

    expect(problems).toEqual(['DATABASE_URL is required']);
  });

  it('when in production with a database and real secrets, then it starts with them', () => {
    const databaseUrl = 'mysql://app@db.internal:3306/b2b_orders';

    const { config, problems } = readService({
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      ...REAL_SECRETS,
    });

    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      environment: 'production',
      databaseUrl,
      auth: { jwtSecret: REAL_SECRETS.JWT_SECRET, serviceToken: REAL_SECRETS.SERVICE_TOKEN },
    });
  });
});

describe('readAuthConfig', () => {
  it.each<Environment>(['development', 'test'])(
    'when in %s without secrets, then the documented development secrets are used',
    (environment) => {
      const { auth, problems } = readAuth({}, environment);

      expect(problems).toEqual([]);
      expect(auth).toMatchObject({
        jwtSecret: DEVELOPMENT_SECRETS.JWT_SECRET,
        serviceToken: DEVELOPMENT_SECRETS.SERVICE_TOKEN,
      });
    },
  );

  it('when in production without secrets, then both are required', () => {
    expect(readAuth({}, 'production').problems).toEqual([
      'JWT_SECRET is required',
      'SERVICE_TOKEN is required',
    ]);
  });

  it('when in production with the development secrets, then both are refused', () => {
    expect(readAuth({ ...DEVELOPMENT_SECRETS }, 'production').problems).toEqual([
      'JWT_SECRET must not be the development default or a placeholder when NODE_ENV=production',
      'SERVICE_TOKEN must not be the development default or a placeholder when NODE_ENV=production',
    ]);
  });

  it.each(['please-CHANGE-ME-0123456789abcdef0123456789', 'changeme-0123456789abcdef0123456789abc'])(
    'when in production with a placeholder secret (%s), then it is refused',
    (placeholder) => {
      expect(readAuth({ ...REAL_SECRETS, JWT_SECRET: placeholder }, 'production').problems).toEqual([
        'JWT_SECRET must not be the development default or a placeholder when NODE_ENV=production',
      ]);
    },
  );

  it.each<Environment>(['development', 'production'])(
    'when in %s with secrets that are too short, then each is reported with its minimum length',
    (environment) => {
      const { problems } = readAuth(
        { JWT_SECRET: 'x'.repeat(31), SERVICE_TOKEN: 'x'.repeat(15) },
        environment,
      );

      expect(problems).toEqual([
        'JWT_SECRET must be at least 32 characters long',
        'SERVICE_TOKEN must be at least 16 characters long',
      ]);
    },
  );

  it('when in production with real secrets, then they are used with the default issuer and audience', () => {
    const { auth, problems } = readAuth(REAL_SECRETS, 'production');

    expect(problems).toEqual([]);
    expect(auth).toEqual({
      jwtSecret: REAL_SECRETS.JWT_SECRET,
      serviceToken: REAL_SECRETS.SERVICE_TOKEN,
      jwtIssuer: 'b2b-orders-customers-api',
      jwtAudience: 'b2b-orders-backoffice',
      tokenTtlSeconds: 3600,
    });
  });
});

describe('readConfigOrExit', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('when the configuration is valid, then it is returned', () => {
    expect(readConfigOrExit('svc', () => ({ port: 1 }))).toEqual({ port: 1 });
  });

  it('when the configuration is invalid, then every problem is printed and the process exits 1', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    readConfigOrExit('customers-api', () => {
      throw new ConfigError(['JWT_SECRET is required', 'PORT must be an integer from 0 to 65535 (got "x")']);
    });

    expect(exit).toHaveBeenCalledWith(1);
    expect(printed).toHaveBeenCalledWith(
      'customers-api: Invalid configuration:\n' +
        '  - JWT_SECRET is required\n' +
        '  - PORT must be an integer from 0 to 65535 (got "x")',
    );
  });

  it('when reading fails for another reason, then the error is thrown, not swallowed', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);

    expect(() =>
      readConfigOrExit('svc', () => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
    expect(exit).not.toHaveBeenCalled();
  });
});
