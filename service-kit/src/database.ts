import connect, { sql, type ConnectionPool, type Queryable, type SQLQuery } from '@databases/mysql';
import { isRetryableTransactionError } from './database-errors';

export { sql };
export type { ConnectionPool, Queryable, SQLQuery };
export type Database = ConnectionPool;

/**
 * Opens a connection pool. BIGINT columns come back as strings (the driver's default
 * 'number' mode silently loses precision past 2^53); repositories convert them with
 * `toSafeInteger`. Times are UTC on both sides.
 */
export function connectDatabase(url: string, options: { poolSize?: number } = {}): Database {
  return connect({
    connectionString: withoutQueryTraces(url),
    bigIntMode: 'string',
    timeZone: 'utc',
    poolSize: options.poolSize ?? 10,
    queueTimeoutMilliseconds: 10_000,
    // The pool reports errors of idle connections here; queries report their own.
    onError: () => undefined,
  });
}

/**
 * mysql2 captures a stack trace for every query, to point async errors at their caller
 * (`trace`); it costs about 2 % of an order's CPU here and our errors do not need it. A URL
 * that sets `trace` itself keeps its choice.
 */
function withoutQueryTraces(url: string): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('trace')) parsed.searchParams.set('trace', 'false');
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

/**
 * Runs `work` in a transaction, retrying a bounded number of times when the database
 * aborted it as a deadlock or lock wait timeout. InnoDB rolls such a transaction back
 * whole, so running it again is safe; the short jittered pause lets the winner finish.
 */
export async function transactionWithRetry<T>(
  db: Database,
  work: (tx: Queryable) => Promise<T>,
  options: { attempts?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.tx(work);
    } catch (error) {
      if (!isRetryableTransactionError(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
    }
  }
}

export async function pingDatabase(db: Database): Promise<boolean> {
  try {
    await db.query(sql`SELECT 1`);
    return true;
  } catch {
    return false;
  }
}
