import escapeIdentifier from '@databases/escape-identifier';
import { sql, type Connection, type SQLQuery } from '@databases/mysql';
import { driverOf, type Database, type Queryable } from './database';
import { isRetryableTransactionError } from './database-errors';

/** How many times transactionWithRetry runs a transaction at most (each attempt is bounded on its own). */
export const TRANSACTION_ATTEMPTS = 5;

const mysqlFormat = {
  escapeIdentifier: (name: string) => escapeIdentifier.escapeMySqlIdentifier(name),
  formatValue: (value: unknown) => ({ placeholder: '?', value }),
};

/**
 * One transaction on one connection, sent in as few round trips as its logic allows: BEGIN
 * goes out with the first statements, several statements may share a round trip (one
 * COM_QUERY holding them all: @databases/mysql opens its connections with
 * multipleStatements), and COMMIT goes out with the work's last statements (`commitWith`).
 * Each round trip is a wake-up of the database server and of this process, which is most of
 * what a short write costs on a busy machine.
 */
export interface BatchedTransaction extends Queryable {
  /** One statement, one round trip; its rows, or its result header for a write. */
  query(query: SQLQuery): Promise<unknown[]>;
  /** Every statement in one round trip; the result of each, in order. */
  query(queries: SQLQuery[]): Promise<unknown[][]>;
  /**
   * The work's last statements, sent in one round trip together with COMMIT (unless the
   * caller of the work still has statements of its own to add: then without, and the
   * caller commits). Returns the result of each statement. Nothing in the work may fail after
   * it: what it wrote may already be committed.
   */
  commitWith(queries: SQLQuery[]): Promise<unknown[][]>;
}

class ConnectionTransaction implements BatchedTransaction {
  private hasBegun = false;
  private isCommitted = false;

  constructor(private readonly connection: Connection) {}

  query(query: SQLQuery): Promise<unknown[]>;
  query(queries: SQLQuery[]): Promise<unknown[][]>;
  async query(query: SQLQuery | SQLQuery[]): Promise<unknown[] | unknown[][]> {
    if (!Array.isArray(query)) return (await this.send([query], false))[0]!;
    return this.send(query, false);
  }

  commitWith(queries: SQLQuery[]): Promise<unknown[][]> {
    return this.send(queries, true);
  }

  /** COMMIT, unless commitWith has already sent it. */
  async commit(): Promise<void> {
    if (!this.isCommitted) await this.send([], true);
  }

  /**
   * Sends `queries` (after BEGIN when nothing was sent yet, before COMMIT when `commit`) as one
   * COM_QUERY and returns the results of `queries`. The server stops at the first statement
   * that fails and reports its error: the statements after it, COMMIT included, never ran.
   */
  private async send(queries: SQLQuery[], commit: boolean): Promise<unknown[][]> {
    if (this.isCommitted) throw new Error('The transaction has already committed');
    const statements = [...(this.hasBegun ? [] : [sql`BEGIN`]), ...queries, ...(commit ? [sql`COMMIT`] : [])];
    const leading = this.hasBegun ? 0 : 1;
    this.hasBegun = true;
    const results = await sendBatch(this.connection, statements);
    if (commit) this.isCommitted = true;
    return results.slice(leading, leading + queries.length);
  }
}

/**
 * Sends `statements` to the server as one COM_QUERY and returns the result of each. Goes
 * through the mysql2 connection under @databases (driverOf), whose own `query` splits a
 * multi-statement text and sends each part on its own.
 */
async function sendBatch(connection: Connection, statements: SQLQuery[]): Promise<unknown[][]> {
  const client = driverOf(connection)?.client;
  if (!client) throw new Error('No mysql2 connection under this @databases connection');
  const { text, values } = sql.join(statements, sql`;\n`).format(mysqlFormat);
  try {
    const [results] = await client.query(text, values);
    return statements.length === 1 ? [results as unknown[]] : (results as unknown[][]);
  } catch (error) {
    // As @databases reports errors: a plain Error carrying mysql2's errno, code and sqlState.
    throw Object.assign(new Error((error as Error).message), error);
  }
}

/**
 * One attempt of `work` in a transaction on one connection of `db`, then `beforeCommit` (if
 * any: then the work's commitWith does not commit), then COMMIT. A failure leaves the task:
 * @databases then sends `ROLLBACK; SELECT 1` on the connection (as patched, patches/) and
 * pools it again, or closes it when that fails, and a closed connection's transaction is
 * rolled back by the server. Either way nothing of a failed attempt is committed.
 */
function attempt<T>(
  db: Database,
  work: (tx: BatchedTransaction) => Promise<T>,
  beforeCommit: ((tx: BatchedTransaction, value: T) => Promise<void>) | undefined,
): Promise<T> {
  return db.task(async (connection) => {
    const tx = new ConnectionTransaction(connection);
    const view: BatchedTransaction = beforeCommit
      ? {
          query: tx.query.bind(tx) as BatchedTransaction['query'],
          commitWith: (queries) => tx.query(queries),
        }
      : tx;
    const value = await work(view);
    await beforeCommit?.(tx, value);
    await tx.commit();
    return value;
  });
}

/**
 * Runs `work` in a transaction (a BatchedTransaction: see there for the round trips),
 * retrying a bounded number of times (TRANSACTION_ATTEMPTS) when the database aborted it as
 * a deadlock (errno 1213) or lock wait timeout (1205). InnoDB rolls such a transaction back
 * whole, so running it again is safe; the short jittered pause lets the winner finish.
 * `beforeCommit` runs after the work, in the same transaction, before COMMIT (e.g. storing an
 * idempotent answer). Throws what the work (or `beforeCommit`) threw, once it is rolled back,
 * or the database's error; with a bounded pool, DatabaseTimeout.
 */
export async function transactionWithRetry<T>(
  db: Database,
  work: (tx: BatchedTransaction) => Promise<T>,
  options: { attempts?: number; beforeCommit?: (tx: BatchedTransaction, value: T) => Promise<void> } = {},
): Promise<T> {
  const attempts = options.attempts ?? TRANSACTION_ATTEMPTS;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(db, work, options.beforeCommit);
    } catch (error) {
      if (!isRetryableTransactionError(error) || attemptNumber >= attempts) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 5 * attemptNumber + Math.random() * 20));
  }
}
