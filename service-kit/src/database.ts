import connect, {
  sql,
  type Connection,
  type ConnectionPool,
  type SQLQuery,
  type Transaction,
} from '@databases/mysql';
import type { Readable } from 'node:stream';
import { nodeUnfitness, type NodeUnfitness } from './cluster';
import { driverOf } from './mysql-driver';

export { sql };
export { driverOf };
export type { ConnectionPool, SQLQuery };
export type Database = ConnectionPool;

/**
 * What repositories need of a pool or of a transaction (transactionWithRetry's
 * BatchedTransaction): statements. Rows of a SELECT, the result header of a write.
 */
export interface Queryable {
  query(query: SQLQuery): Promise<unknown[]>;
  query(queries: SQLQuery[]): Promise<unknown[][]>;
}

export interface DatabaseOptions {
  poolSize?: number;
  /**
   * Longest wait for a connection, in ms: queued for one of the pool's, or opening a new one
   * (mysql2's `connectTimeout`). Default 10 000.
   */
  acquireTimeoutMs?: number;
  /**
   * Longest one query, or one whole transaction, may run once it holds its connection, in ms.
   * Absent (scripts, migrations, tests): no bound but the server's.
   */
  statementTimeoutMs?: number;
}

/** Why a database operation gave up waiting; `isDatabaseUnavailable` says yes to both codes (→ 503). */
export class DatabaseTimeout extends Error {
  readonly code: 'DATABASE_ACQUIRE_TIMEOUT' | 'DATABASE_STATEMENT_TIMEOUT';

  constructor(phase: 'acquire' | 'statement', timeoutMs: number) {
    super(
      phase === 'acquire'
        ? `No database connection within ${timeoutMs} ms`
        : `The database did not answer within ${timeoutMs} ms`,
    );
    this.name = 'DatabaseTimeout';
    this.code = phase === 'acquire' ? 'DATABASE_ACQUIRE_TIMEOUT' : 'DATABASE_STATEMENT_TIMEOUT';
  }
}

/**
 * Opens a connection pool. BIGINT columns come back as strings (the driver's default
 * 'number' mode silently loses precision past 2^53); repositories convert them with
 * `toSafeInteger`. Times are UTC on both sides.
 *
 * With `statementTimeoutMs`, every wait is bounded (see BoundedPool): a query or a
 * transaction that has not finished in time rejects with DatabaseTimeout, even when the
 * server is frozen and will never answer, and its connection is closed so nothing it did is
 * committed. Waiting for a connection is bounded by `acquireTimeoutMs` in any case.
 */
export function connectDatabase(url: string, options: DatabaseOptions = {}): Database {
  const acquireTimeoutMs = options.acquireTimeoutMs ?? 10_000;
  const openPool = (poolSize: number) =>
    connect({
      connectionString: withDriverOptions(url, acquireTimeoutMs),
      bigIntMode: 'string',
      timeZone: 'utc',
      poolSize,
      queueTimeoutMilliseconds: acquireTimeoutMs,
      // The pool reports errors of idle connections here; queries report their own.
      onError: () => undefined,
    });
  const poolSize = options.poolSize ?? 10;
  const pool = openPool(poolSize);
  if (options.statementTimeoutMs === undefined) return pool;
  return new BoundedPool(
    pool,
    { acquireTimeoutMs, statementTimeoutMs: options.statementTimeoutMs },
    () => openPool(1),
    poolSize,
  );
}

/** How a pool's connections are used at this moment (for the metrics, read on each scrape). */
export interface PoolUsage {
  /** Operations (queries, transactions, tasks) holding one of the pool's connections. */
  inUse: number;
  /** Operations waiting for a connection: the pool's are all in use, or one is being opened. */
  waiting: number;
  /** The most connections the pool opens (DATABASE_POOL_SIZE). */
  size: number;
}

/**
 * The usage of a pool opened with `statementTimeoutMs` (every server's: it is counted where
 * each operation is bounded); undefined for a plain pool, which counts nothing.
 */
export function databasePoolUsage(db: Database): PoolUsage | undefined {
  return db instanceof BoundedPool ? db.usage() : undefined;
}

/**
 * mysql2 options carried by the URL; one the URL sets itself keeps its value. mysql2 captures a
 * stack trace for every query, to point async errors at their caller (`trace`); it costs
 * about 2 % of an order's CPU here and our errors do not need it.
 */
function withDriverOptions(url: string, connectTimeoutMs: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('trace')) parsed.searchParams.set('trace', 'false');
  // mysql2 waits 10 s for a new connection's handshake by default; a frozen server accepts
  // the TCP connection (the kernel does) and never greets.
  if (!parsed.searchParams.has('connectTimeout')) {
    parsed.searchParams.set('connectTimeout', String(connectTimeoutMs));
  }
  return parsed.toString();
}

/**
 * The AUTO_INCREMENT id an INSERT created, from the statement's own result (no extra
 * `SELECT LAST_INSERT_ID()` round trip). Throws a RangeError past 2^53.
 */
export function insertedId(result: unknown): number {
  return toSafeInteger((result as { insertId: number | string }).insertId);
}

/** Converts a BIGINT (or DECIMAL) value read as a string, refusing anything JSON cannot carry exactly. */
export function toSafeInteger(value: string | number | bigint): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new RangeError(`Value ${String(value)} is not a safe integer`);
  }
  return number;
}

/**
 * A LIKE pattern matching `text` literally anywhere in a value; use it with `ESCAPE '!'`.
 * `!` rather than the default backslash, so the pattern means the same whatever the
 * server's sql_mode (NO_BACKSLASH_ESCAPES changes how a backslash is read).
 */
export function containsPattern(text: string): string {
  return `%${text.replace(/[!%_]/g, (character) => `!${character}`)}%`;
}

/** How long `/health` waits for the database, in ms, whatever the pool's own bounds. */
export const HEALTH_CHECK_TIMEOUT_MS = 1000;

/** What `/health` says of the database: `up`, or why this instance cannot use it now. */
export type DatabaseHealth = 'up' | 'down' | NodeUnfitness;

/**
 * Whether this instance can serve requests from its database, within `timeoutMs` (half of it
 * for a connection, half for the answers): `down` when no answer came, else `up`, or why the
 * node cannot serve (read-only; on a Galera node without quorum or not Synced, which still
 * answers `SELECT 1`: see nodeUnfitness). A BoundedPool checks over a connection of its own,
 * so a pool busy with requests does not make a healthy database look down.
 */
export async function checkDatabaseHealth(
  db: Database,
  timeoutMs = HEALTH_CHECK_TIMEOUT_MS,
): Promise<DatabaseHealth> {
  const bounds = { acquireTimeoutMs: timeoutMs / 2, statementTimeoutMs: timeoutMs / 2 };
  const pool = db instanceof BoundedPool ? db.healthPool() : db;
  try {
    return (await withBoundedConnection(pool, bounds, nodeUnfitness)) ?? 'up';
  } catch {
    return 'down';
  }
}

interface Bounds {
  acquireTimeoutMs: number;
  statementTimeoutMs: number;
}

/** What withBoundedConnection counts as it goes: PoolUsage without the size. */
type UsageCounts = Omit<PoolUsage, 'size'>;

/**
 * Runs `work` on one connection of `pool`, within `bounds`: rejects with DatabaseTimeout when
 * no connection came within acquireTimeoutMs, or when `work` has not settled
 * statementTimeoutMs after it got one. The second case closes the connection's socket: the
 * statements waiting on it fail at once, @databases disposes of the connection instead of
 * pooling it again, and the server rolls back whatever transaction it had open (a COMMIT
 * already sent stays ambiguous, as with any lost connection). `configure` runs once per
 * physical connection, before its first work. `counts`, when given, follows the operation:
 * waiting until it has its connection (or gave up), in use until its work has settled.
 */
function withBoundedConnection<T>(
  pool: ConnectionPool,
  bounds: Bounds,
  work: (connection: Connection) => Promise<T>,
  configure?: (connection: Connection) => Promise<void>,
  counts: UsageCounts = { inUse: 0, waiting: 0 },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let isSettled = false;
    const settle = (outcome: () => void) => {
      if (isSettled) return;
      isSettled = true;
      outcome();
    };
    let isWaiting = true;
    counts.waiting += 1;
    const stopWaiting = () => {
      if (isWaiting) counts.waiting -= 1;
      isWaiting = false;
    };
    const acquireTimer = setTimeout(() => {
      stopWaiting();
      settle(() => reject(new DatabaseTimeout('acquire', bounds.acquireTimeoutMs)));
    }, bounds.acquireTimeoutMs);
    pool
      .task(async (connection) => {
        clearTimeout(acquireTimer);
        // The caller has gone (acquire timeout): the connection goes straight back.
        if (isSettled) return undefined as T;
        stopWaiting();
        counts.inUse += 1;
        let hasTimedOut = false;
        const statementTimer = setTimeout(() => {
          hasTimedOut = true;
          destroySocket(connection);
          settle(() => reject(new DatabaseTimeout('statement', bounds.statementTimeoutMs)));
        }, bounds.statementTimeoutMs);
        try {
          await configure?.(connection);
          const result = await work(connection);
          // An answer that raced the timer: the socket is gone, the connection must not be reused.
          if (hasTimedOut) throw new DatabaseTimeout('statement', bounds.statementTimeoutMs);
          return result;
        } finally {
          clearTimeout(statementTimer);
          counts.inUse -= 1;
        }
      })
      .then(
        (result) => settle(() => resolve(result)),
        (error: unknown) => {
          // No connection could be opened: the task failed without running.
          stopWaiting();
          settle(() => reject(error));
        },
      );
  });
}

function destroySocket(connection: Connection): void {
  driverOf(connection)?.client?.connection?.stream?.destroy();
}

/**
 * A ConnectionPool whose every operation is bounded (DATABASE_ACQUIRE_TIMEOUT_MS for a
 * connection, DATABASE_STATEMENT_TIMEOUT_MS for the work) by the client, since a server that
 * is frozen or cut off by the network never fires its own timeouts. The server is told the
 * same bound once per connection, so it stops a long statement or lock wait by itself too:
 * `innodb_lock_wait_timeout` (MySQL and MariaDB, whole seconds) and, on MariaDB only,
 * `max_statement_time` (MySQL's `max_execution_time` covers SELECT only; the client bound
 * covers MySQL).
 */
class BoundedPool implements ConnectionPool {
  readonly type: ConnectionPool['type'];
  readonly sql: ConnectionPool['sql'];
  private readonly configured = new WeakSet<object>();
  /** Learnt from the first connection: MariaDB knows max_statement_time, MySQL does not. */
  private isMariaDb: boolean | undefined;
  private health: ConnectionPool | undefined;
  /** The health pool's pings are not counted: they never wait for the pool's connections. */
  private readonly counts: UsageCounts = { inUse: 0, waiting: 0 };

  constructor(
    private readonly pool: ConnectionPool,
    private readonly bounds: Bounds,
    private readonly openHealthPool: () => ConnectionPool,
    private readonly poolSize: number,
  ) {
    this.type = pool.type;
    this.sql = pool.sql;
  }

  query(query: SQLQuery): Promise<unknown[]>;
  query(query: SQLQuery[]): Promise<unknown[][]>;
  query(query: SQLQuery | SQLQuery[]): Promise<unknown[] | unknown[][]> {
    return this.run((connection) =>
      Array.isArray(query) ? connection.query(query) : connection.query(query),
    );
  }

  tx<T>(fn: (tx: Transaction) => Promise<T>, options?: Parameters<ConnectionPool['tx']>[1]): Promise<T> {
    return this.run((connection) => connection.tx(fn, options));
  }

  task<T>(fn: (connection: Connection) => Promise<T>): Promise<T> {
    return this.run(fn);
  }

  // Unbounded: nothing here streams; kept so this is a whole ConnectionPool.
  queryStream(
    query: SQLQuery,
    options?: Parameters<ConnectionPool['queryStream']>[1],
  ): AsyncIterable<unknown> {
    return this.pool.queryStream(query, options);
  }

  queryNodeStream(query: SQLQuery, options?: Parameters<ConnectionPool['queryNodeStream']>[1]): Readable {
    return this.pool.queryNodeStream(query, options);
  }

  addPostCommitStep(fn: () => Promise<void>): Promise<void> {
    return this.pool.addPostCommitStep(fn);
  }

  /** A one-connection pool of its own for health checks, opened on first use. */
  healthPool(): ConnectionPool {
    this.health ??= this.openHealthPool();
    return this.health;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.pool.dispose(), this.health?.dispose()]);
  }

  usage(): PoolUsage {
    return { ...this.counts, size: this.poolSize };
  }

  private run<T>(work: (connection: Connection) => Promise<T>): Promise<T> {
    return withBoundedConnection(
      this.pool,
      this.bounds,
      work,
      (connection) => this.configure(connection),
      this.counts,
    );
  }

  private async configure(connection: Connection): Promise<void> {
    const driver = driverOf(connection);
    if (!driver || this.configured.has(driver)) return;
    const { statementTimeoutMs } = this.bounds;
    const lockWaitSeconds = Math.max(1, Math.ceil(statementTimeoutMs / 1000));
    if (this.isMariaDb !== false) {
      try {
        await connection.query(
          sql`SET SESSION innodb_lock_wait_timeout = ${lockWaitSeconds}, max_statement_time = ${statementTimeoutMs / 1000}`,
        );
        this.isMariaDb = true;
        this.configured.add(driver);
        return;
      } catch (error) {
        // Unknown system variable: MySQL, which bounds SELECTs only (max_execution_time, ms).
        if ((error as { errno?: number }).errno !== 1193) throw error;
        this.isMariaDb = false;
      }
    }
    await connection.query(
      sql`SET SESSION innodb_lock_wait_timeout = ${lockWaitSeconds}, max_execution_time = ${statementTimeoutMs}`,
    );
    this.configured.add(driver);
  }
}
