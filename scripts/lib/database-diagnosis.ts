// Why DATABASE_URL cannot be used, told apart so that each cause gets its own next step:
// nothing listening, a host that does not resolve or answer, something that is not MySQL, a
// refused login (naming the user), TLS or protocol mismatches, a server older than the project
// supports, a database the user may not use or create, a database without the schema.
// `npm start` asks before it builds (scripts/lib/check-database.ts); `npm run migrate`, `seed`
// and `operators` ask before they work. Scripts only: the APIs report a database they cannot
// reach on /health and in their logs, and keep retrying.
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import connect, { sql } from '@databases/mysql';
import { isSupportedServerVersion, parseServerVersion, SUPPORTED_SERVERS } from './server-version';

const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where a database URL points, without its password. */
export interface DatabaseTarget {
  host: string;
  port: number;
  /** The database name; empty when the URL names none. */
  database: string;
  /** The user name; empty when the URL gives none. */
  user: string;
}

/** Reads a `mysql://user:password@host:port/database` URL; throws a TypeError when it is not one. */
export function databaseTarget(url: string): DatabaseTarget {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(parsed.port || 3306),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    user: decodeURIComponent(parsed.username),
  };
}

/** `127.0.0.1:3306/b2b_orders as user root`: which database, never the password. */
export function describeDatabase(url: string): string {
  try {
    const { host, port, database, user } = databaseTarget(url);
    return `${host}:${port}/${database} as user ${user || '(none)'}`;
  } catch {
    return 'DATABASE_URL (not a URL)';
  }
}

/**
 * Where the scripts' DATABASE_URL (already resolved by scripts/lib/load-database-env.ts:
 * the environment, else customers-api/.env, else orders-api/.env) came from, for the line
 * each database script starts with. A file that holds the same value is named.
 */
export function databaseUrlOrigin(value: string | undefined, root = REPOSITORY_ROOT): string {
  for (const file of ['customers-api/.env', 'orders-api/.env']) {
    const fullPath = path.join(root, file);
    const fromFile = existsSync(fullPath) ? parseEnv(readFileSync(fullPath, 'utf8')).DATABASE_URL : undefined;
    if (fromFile?.trim() && fromFile.trim() === value?.trim()) return `DATABASE_URL from ${file}`;
  }
  if (value?.trim()) return 'DATABASE_URL from the environment';
  return 'the default: DATABASE_URL is set neither in the environment nor in customers-api/.env or orders-api/.env';
}

export type DatabaseProblemKind =
  | 'invalid-url'
  | 'nothing-listening'
  | 'host-unknown'
  | 'unreachable'
  | 'not-mysql'
  | 'refused-before-login'
  | 'access-denied'
  | 'tls'
  | 'protocol'
  | 'unsupported-version'
  | 'database-not-creatable'
  | 'database-not-allowed'
  | 'database-missing'
  | 'not-migrated'
  | 'other';

/** What is wrong (one sentence) and what to do about it (one line each). */
export interface DatabaseProblem {
  kind: DatabaseProblemKind;
  summary: string;
  nextSteps: string[];
}

export interface DiagnoseOptions {
  /** The caller creates the database when it is missing (`npm start`, `npm run migrate`): try to. */
  mayCreate: boolean;
  /** The caller needs the migrated schema (`npm run seed`, `npm run operators`). */
  needsSchema: boolean;
  /** Bound of each network step (connecting, the handshake, one query), in ms. Default 5 000. */
  timeoutMs?: number;
}

/** "Problem: …" followed by the next steps, indented, for a terminal. */
export function formatDatabaseProblem(problem: DatabaseProblem): string {
  return [problem.summary, ...problem.nextSteps.map((step) => `  ${step}`)].join('\n');
}

interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
}

const asDriverError = (error: unknown): DriverError =>
  typeof error === 'object' && error !== null ? (error as DriverError) : { message: String(error) };

/** `url` with mysql2's handshake bound set, so a server that never greets fails in time. */
function withConnectTimeout(url: string, timeoutMs: number): string {
  const parsed = new URL(url);
  parsed.searchParams.set('connectTimeout', String(timeoutMs));
  return parsed.toString();
}

/** Runs one query on a fresh one-connection pool, always closing it. */
async function queryOnce<Row>(url: string, query: ReturnType<typeof sql>, timeoutMs: number): Promise<Row[]> {
  const pool = connect({
    connectionString: withConnectTimeout(url, timeoutMs),
    poolSize: 1,
    queueTimeoutMilliseconds: timeoutMs,
    onError: () => undefined,
  });
  try {
    return (await pool.query(query)) as Row[];
  } finally {
    await pool.dispose().catch(() => undefined);
  }
}

type Greeting =
  | { kind: 'refused' | 'unresolved' | 'unreachable'; code: string }
  | { kind: 'silent' }
  | { kind: 'not-mysql'; sample: string }
  | { kind: 'mysql' };

/**
 * Opens a bare TCP connection and reads the server's first bytes: a MySQL/MariaDB server
 * greets at once with a packet whose payload starts with protocol version 10 (or with an
 * error packet, 0xff). Used only when the driver could not tell why it failed.
 */
function probeGreeting(host: string, port: number, timeoutMs: number): Promise<Greeting> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (greeting: Greeting) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(greeting);
    };
    let connected = false;
    const timer = setTimeout(
      () => done(connected ? { kind: 'silent' } : { kind: 'unreachable', code: 'ETIMEDOUT' }),
      timeoutMs,
    );
    socket.once('connect', () => (connected = true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'ERROR';
      if (code === 'ECONNREFUSED') done({ kind: 'refused', code });
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') done({ kind: 'unresolved', code });
      else done({ kind: 'unreachable', code });
    });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 5) return;
      const payloadStart = received[4];
      if (received[3] === 0 && (payloadStart === 0x0a || payloadStart === 0xff)) done({ kind: 'mysql' });
      else done({ kind: 'not-mysql', sample: received.subarray(0, 40).toString('latin1') });
    });
    socket.once('end', () =>
      done(
        connected && received.length > 0
          ? { kind: 'not-mysql', sample: received.toString('latin1') }
          : { kind: 'silent' },
      ),
    );
  });
}

const TLS_ERROR_CODE = /CERT|SELF_SIGNED|TLS|SSL|EPROTO|HANDSHAKE_NO_SSL_SUPPORT/;

/** The `'user'@'host'` the server named in an access-denied message, else `'user'@'%'`. */
function accountOf(message: string | undefined, user: string): { text: string; host: string } {
  const match = /user '([^']*)'@'([^']*)'/.exec(message ?? '');
  const host = match?.[2] ?? '%';
  return { text: `'${match?.[1] ?? user}'@'${host}'`, host };
}

function grantSteps(target: DatabaseTarget, host: string, createUser: boolean): string[] {
  const account = `'${target.user}'@'${host}'`;
  const database = target.database || 'b2b_orders';
  return [
    `${createUser ? 'Or create the account, as' : 'As'} an administrator of that server (e.g. sudo mariadb, or mysql -u root -p):`,
    ...(createUser
      ? [`  CREATE USER ${account} IDENTIFIED BY '<password>';   -- or ALTER USER … to change a password`]
      : []),
    `  CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
    `  GRANT ALL PRIVILEGES ON \`${database}\`.* TO ${account};`,
  ];
}

/** Explains why logging in to the server (no database selected) failed. */
async function explainLoginFailure(
  error: DriverError,
  target: DatabaseTarget,
  timeoutMs: number,
): Promise<DatabaseProblem> {
  const where = `${target.host}:${target.port}`;
  const said = `the server said: "${error.message}"`;
  const code = error.code ?? '';
  const user = target.user || '(none)';
  if (
    code === 'ER_ACCESS_DENIED_ERROR' ||
    code === 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR' ||
    error.errno === 1045 ||
    error.errno === 1698
  ) {
    const account = accountOf(error.message, target.user);
    return {
      kind: 'access-denied',
      summary: `Access denied for user ${user} at ${where} (${said}): the password in DATABASE_URL is wrong, or the server has no account ${account.text}.`,
      nextSteps: [
        'Check the user and password in DATABASE_URL (special characters in the password must be URL-encoded, e.g. @ as %40).',
        ...grantSteps(target, account.host, true),
        ...(error.errno === 1698 && target.user === 'root'
          ? [
              '(Debian/Ubuntu MariaDB lets root in only through the local socket, as sudo mariadb: create a user of your own as above.)',
            ]
          : []),
      ],
    };
  }
  if (error.errno === 1130 || error.errno === 1129 || error.errno === 1040) {
    const step = {
      1130: `The server has no account for ${user} from this machine's address: create one (CREATE USER '${user}'@'<this machine>' …; GRANT …), or connect from an allowed host.`,
      1129: 'Too many failed connections from this machine: as an administrator, run FLUSH HOSTS (or mariadb-admin flush-hosts) on that server.',
      1040: 'The server has all the connections it allows: stop idle clients or raise its max_connections.',
    }[error.errno];
    return {
      kind: 'refused-before-login',
      summary: `The server at ${where} refused the connection before login (${said}).`,
      nextSteps: [step],
    };
  }
  if (error.errno === 3159 || /secure transport/i.test(error.message ?? '')) {
    return {
      kind: 'tls',
      summary: `The server at ${where} accepts TLS connections only (${said}), and DATABASE_URL asks for none.`,
      nextSteps: [
        'Add TLS to DATABASE_URL: …/b2b_orders?ssl={"rejectUnauthorized":true} (the server certificate must be one this machine trusts).',
      ],
    };
  }
  if (TLS_ERROR_CODE.test(code)) {
    return code === 'HANDSHAKE_NO_SSL_SUPPORT'
      ? {
          kind: 'tls',
          summary: `DATABASE_URL asks for TLS (its ssl parameter), but the server at ${where} offers none.`,
          nextSteps: [
            'Remove the ssl parameter from DATABASE_URL (a server on this machine or a private network), or',
            'enable TLS on the server (ssl_cert, ssl_key and ssl_ca in its configuration) and restart it.',
          ],
        }
      : {
          kind: 'tls',
          summary: `The TLS handshake with ${where} failed (${code}: ${error.message}).`,
          nextSteps: [
            "The server's certificate is not trusted here, or does not name the host in DATABASE_URL: use the host name the certificate names and a CA this machine trusts,",
            'or, for a development server only, ssl={"rejectUnauthorized":false} in DATABASE_URL.',
          ],
        };
  }
  if (code === 'ER_NOT_SUPPORTED_AUTH_MODE' || code === 'AUTH_SWITCH_PLUGIN_ERROR') {
    return {
      kind: 'protocol',
      summary: `The server at ${where} asks user ${user} for a login method the driver (mysql2) cannot use (${said}).`,
      nextSteps: [
        `As an administrator: ALTER USER '${user}'@'%' IDENTIFIED WITH caching_sha2_password BY '<password>'; (MySQL) or … IDENTIFIED VIA mysql_native_password USING PASSWORD('<password>'); (MariaDB).`,
      ],
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return hostUnknown(target, code);
  }
  if (typeof error.errno === 'number' && error.errno > 0) {
    return {
      kind: 'other',
      summary: `The server at ${where} refused the login of user ${user} (${said}, ${code || error.errno}).`,
      nextSteps: ['Fix what the server names, then run the command again.'],
    };
  }
  // The driver saw no MySQL answer (refused, timed out, lost the connection): ask the port itself.
  const greeting = await probeGreeting(target.host, target.port, timeoutMs);
  switch (greeting.kind) {
    case 'refused':
      return nothingListening(target);
    case 'unresolved':
      return hostUnknown(target, greeting.code);
    case 'unreachable':
      return {
        kind: 'unreachable',
        summary: `No answer from ${where} (${greeting.code}${greeting.code === 'ETIMEDOUT' ? ` within ${timeoutMs / 1000} s` : ''}): the host is down or a firewall drops the connection.`,
        nextSteps: [
          'Check the host and port in DATABASE_URL, that the server listens on a network address (bind-address, not only 127.0.0.1 on another machine), and any firewall in between.',
        ],
      };
    case 'silent':
      return notMysql(
        target,
        `it accepts connections but sends no MySQL greeting within ${timeoutMs / 1000} s`,
      );
    case 'not-mysql':
      return notMysql(
        target,
        `its first bytes were '${greeting.sample.replace(/[^\x20-\x7e]+/g, ' ').trim()}'`,
      );
    case 'mysql':
      return {
        kind: 'protocol',
        summary: `The server at ${where} speaks MySQL, but the login failed: ${error.message ?? code} (${code || 'no code'}).`,
        nextSteps: [
          'A TLS or protocol mismatch between the driver and the server: check the ssl parameter of DATABASE_URL and the server log.',
        ],
      };
  }
}

function nothingListening(target: DatabaseTarget): DatabaseProblem {
  const where = `${target.host}:${target.port}`;
  return {
    kind: 'nothing-listening',
    summary: `Nothing listens at ${where} (connection refused): no MySQL/MariaDB server runs there.`,
    nextSteps: [
      ...(target.port === 3306
        ? []
        : ['Is the port right? MySQL/MariaDB listen on 3306 unless configured otherwise.']),
      'Start the server you have (Debian/Ubuntu: sudo service mariadb start), or install one (sudo apt-get install mariadb-server), or',
      'with Docker: MYSQL_ALLOW_EMPTY_PASSWORD=yes docker compose up -d mysql (MySQL 8.0 on 127.0.0.1:3306), or',
      `point DATABASE_URL at a ${SUPPORTED_SERVERS} server you can reach: DATABASE_URL=mysql://user:password@host:3306/b2b_orders`,
    ],
  };
}

function hostUnknown(target: DatabaseTarget, code: string): DatabaseProblem {
  return {
    kind: 'host-unknown',
    summary: `The host name ${target.host} in DATABASE_URL does not resolve (${code}).`,
    nextSteps: ['Check the host in DATABASE_URL (127.0.0.1 for a server on this machine).'],
  };
}

function notMysql(target: DatabaseTarget, what: string): DatabaseProblem {
  return {
    kind: 'not-mysql',
    summary: `Something listens at ${target.host}:${target.port}, but it is not a MySQL/MariaDB server: ${what}.`,
    nextSteps: [
      'Check the port in DATABASE_URL (MySQL/MariaDB listen on 3306 unless configured otherwise); a server that is still starting, or hung, also greets late.',
    ],
  };
}

/** Explains why the database itself (the URL's path) cannot be used once the login works. */
function databaseProblem(
  error: DriverError,
  target: DatabaseTarget,
  options: DiagnoseOptions,
  creationError: DriverError | undefined,
): DatabaseProblem {
  const where = `${target.host}:${target.port}`;
  const account = accountOf(error.message, target.user);
  if (options.mayCreate) {
    return {
      kind: 'database-not-creatable',
      summary:
        `Database ${target.database} at ${where} does not exist or user ${target.user} may not use it, and ${target.user} may not create it ` +
        `(the server said: "${creationError?.message ?? error.message}").`,
      nextSteps: [
        ...grantSteps(target, account.host, false),
        'or point DATABASE_URL at a database this user may use.',
      ],
    };
  }
  if (error.errno === 1049) {
    return {
      kind: 'database-missing',
      summary: `Database ${target.database} does not exist at ${where}.`,
      nextSteps: [
        'npm run migrate creates it and its tables (as npm start does), with the same DATABASE_URL.',
      ],
    };
  }
  return {
    kind: 'database-not-allowed',
    summary: `User ${target.user} may not use database ${target.database} at ${where} (the server said: "${error.message}"); it may not exist.`,
    nextSteps: grantSteps(target, account.host, false),
  };
}

/**
 * Finds out whether `url` can be used, in this order, each step bounded by `timeoutMs`: the
 * login to the server; its version (MariaDB 10.11+ / MySQL 8.0+); the database (created when
 * `mayCreate` and missing); its schema (when `needsSchema`). Returns the first problem, or
 * undefined when everything is usable. Never throws for a database problem.
 */
export async function diagnoseDatabase(
  url: string,
  options: DiagnoseOptions,
): Promise<DatabaseProblem | undefined> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let target: DatabaseTarget;
  let serverUrl: string;
  try {
    target = databaseTarget(url);
    const parsed = new URL(url);
    parsed.pathname = '/';
    serverUrl = parsed.toString();
  } catch {
    return {
      kind: 'invalid-url',
      summary: 'DATABASE_URL is not a URL.',
      nextSteps: ['Write it as mysql://user:password@host:3306/database (special characters URL-encoded).'],
    };
  }
  const scheme = new URL(url).protocol;
  if (scheme !== 'mysql:') {
    return {
      kind: 'invalid-url',
      summary: `DATABASE_URL must be a mysql:// URL (MySQL 8 or MariaDB 10.11+); it starts with ${scheme}//.`,
      nextSteps: ['Write it as mysql://user:password@host:3306/database (special characters URL-encoded).'],
    };
  }
  if (!/^[A-Za-z0-9_]{1,64}$/.test(target.database)) {
    return {
      kind: 'invalid-url',
      summary: `DATABASE_URL must name a database (letters, digits, underscore), e.g. mysql://${target.user || 'root'}@${target.host}:${target.port}/b2b_orders.`,
      nextSteps: [],
    };
  }
  const where = `${target.host}:${target.port}`;

  let version: string;
  try {
    const rows = await queryOnce<{ version: string }>(serverUrl, sql`SELECT VERSION() AS version`, timeoutMs);
    version = String(rows[0]?.version ?? '');
  } catch (error) {
    return explainLoginFailure(asDriverError(error), target, timeoutMs);
  }
  const parsedVersion = parseServerVersion(version);
  if (parsedVersion && !isSupportedServerVersion(parsedVersion)) {
    return {
      kind: 'unsupported-version',
      summary: `The server at ${where} is ${parsedVersion.product} ${parsedVersion.major}.${parsedVersion.minor} (VERSION() = '${version}'); this project needs ${SUPPORTED_SERVERS}.`,
      nextSteps: [
        'Upgrade that server, or point DATABASE_URL at a newer one;',
        'with Docker: docker compose up -d mysql runs MySQL 8.0 on 127.0.0.1:3306 (MYSQL_PORT to move it).',
      ],
    };
  }

  const useDatabase = () =>
    queryOnce<{ migrated: number | string }>(
      url,
      sql`SELECT COUNT(*) AS migrated FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schema_migrations'`,
      timeoutMs,
    );
  let rows: { migrated: number | string }[];
  try {
    rows = await useDatabase();
  } catch (caught) {
    const error = asDriverError(caught);
    // 1049: unknown database; 1044: no access to it (MariaDB says so for a missing one too).
    if (error.errno !== 1049 && error.errno !== 1044) return explainLoginFailure(error, target, timeoutMs);
    if (!options.mayCreate) return databaseProblem(error, target, options, undefined);
    try {
      await queryOnce(
        serverUrl,
        sql`CREATE DATABASE IF NOT EXISTS ${sql.ident(target.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        timeoutMs,
      );
      rows = await useDatabase();
    } catch (creation) {
      return databaseProblem(error, target, options, asDriverError(creation));
    }
  }
  if (options.needsSchema && Number(rows[0]?.migrated) === 0) {
    return {
      kind: 'not-migrated',
      summary: `Database ${target.database} at ${where} has no schema yet (no schema_migrations table).`,
      nextSteps: ['npm run migrate applies it (npm start does too), with the same DATABASE_URL.'],
    };
  }
  return undefined;
}
