import escapeIdentifier from '@databases/escape-identifier';
import { sql, type Connection, type SQLQuery } from '@databases/mysql';
import { causal, isGaleraSession } from './cluster';
import type { Database, Queryable } from './database';
import { isRetryableTransactionError } from './database-errors';
import { TransactionConflict } from './errors';
import { driverOf } from './mysql-driver';

/** How many times transactionWithRetry runs a transaction at most (each attempt is bounded on its own). */
export const TRANSACTION_ATTEMPTS = 6;

/**
 * The pause before attempt n + 1 is drawn uniformly from 0 to min(cap, base × 2^(n-1)) ms
 * ("full jitter", AWS Architecture Blog, Exponential Backoff and Jitter): 10, 20, 40, 80 and
 * 160 ms at most, so five retries wait at most 310 ms in all, and conflicting writers spread
 * out instead of colliding again.
 */
const RETRY_BASE_DELAY_MS = 10;
const RETRY_MAX_DELAY_MS = 160;

/** The longest all the pauses between TRANSACTION_ATTEMPTS attempts can add up to, in ms (310). */
export const TRANSACTION_RETRY_PAUSES_MS = Array.from({ length: TRANSACTION_ATTEMPTS - 1 }, (_, index) =>
  Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** index),
).reduce((total, pause) => total + pause, 0);

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
 *
 * This relies on an engine property: the server stops a multi-statement COM_QUERY at its
 * first failing statement, so nothing after a failure (COMMIT included) runs. A Galera node
 * breaks it: when another node's conflicting write aborts this transaction (a brute-force
 * abort), the node reports the abort on the client's next command, not on the next statement
 * of the same command, and the rest of the batch runs outside any transaction, each statement
 * committed on its own. On a Galera node (wsrep_on, learnt per connection) every statement is
 * therefore sent in a command of its own: the one after an abort fails with errno 1213 and
 * nothing commits. There, BEGIN is also a causal read (wsrep_sync_wait), so the transaction
 * sees every write the cluster committed before it began, wherever it was made.
 * service-kit/test/transaction.test.ts pins the round trips on one server, and
 * test/cluster the behaviour on a cluster.
 */
export interface BatchedTransaction extends Queryable {
  /** One statement, one round trip; its rows, or its result header for a write. */
  query(query: SQLQuery): Promise<unknown[]>;
  /** Every statement in one round trip (none for an empty list); the result of each, in order. */
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

  constructor(
    private readonly connection: Connection,
    /** A Galera node: one statement per command, and a causal BEGIN. */
    private readonly isGalera: boolean,
  ) {}

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
   * Sends `queries` (after BEGIN when nothing was sent yet, before COMMIT when `commit`) and
   * returns their results: as one COM_QUERY, where the server stops at the first statement
   * that fails and reports its error (the statements after it, COMMIT included, never run),
   * or on a Galera node one command per statement, stopping at the first that fails.
   */
  private async send(queries: SQLQuery[], commit: boolean): Promise<unknown[][]> {
    if (this.isCommitted) throw new Error('The transaction has already committed');
    const begin = causal(sql`BEGIN`, this.isGalera);
    const statements = [...(this.hasBegun ? [] : [begin]), ...queries, ...(commit ? [sql`COMMIT`] : [])];
    const leading = this.hasBegun ? 0 : 1;
    // Nothing to send (no statement, the transaction begun already): no round trip.
    if (statements.length === 0) return [];
    this.hasBegun = true;
    const results = this.isGalera
      ? await sendOneByOne(this.connection, statements)
      : await sendBatch(this.connection, statements);
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

/** Sends `statements` one COM_QUERY each, in order, and returns the result of each. */
async function sendOneByOne(connection: Connection, statements: SQLQuery[]): Promise<unknown[][]> {
  const results: unknown[][] = [];
  for (const statement of statements) results.push(...(await sendBatch(connection, [statement])));
  return results;
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
    const tx = new ConnectionTransaction(connection, await isGaleraSession(connection));
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
 * a deadlock (errno 1213: InnoDB's, or a Galera certification failure or brute-force abort)
 * or lock wait timeout (1205). Such a transaction was rolled back whole, so running it again
 * is safe; the pause before each retry is jittered and grows (RETRY_BASE_DELAY_MS to
 * RETRY_MAX_DELAY_MS) so the winner finishes and the losers do not collide again.
 * `beforeCommit` runs after the work, in the same transaction, before COMMIT (e.g. storing an
 * idempotent answer). Throws what the work (or `beforeCommit`) threw, once it is rolled back;
 * TransactionConflict (→ 503 with Retry-After) when every attempt was aborted; otherwise the
 * database's error; with a bounded pool, DatabaseTimeout.
 */
export function transactionWithRetry<T>(
  db: Database,
  work: (tx: BatchedTransaction) => Promise<T>,
  options: { attempts?: number; beforeCommit?: (tx: BatchedTransaction, value: T) => Promise<void> } = {},
): Promise<T> {
  return retryingConflicts(() => attempt(db, work, options.beforeCommit), options.attempts);
}

/**
 * Runs `transaction` (one whole transaction, rolled back on failure) again while the
 * database aborts it as conflicting (isRetryableTransactionError: 1213, 1205), at most
 * `attempts` times, pausing with jittered, growing backoff (RETRY_BASE_DELAY_MS to
 * RETRY_MAX_DELAY_MS) between attempts. For transactions that cannot go through
 * transactionWithRetry (e.g. the reservation sweep's READ COMMITTED one). Throws
 * TransactionConflict when every attempt was aborted, else what the transaction threw.
 */
export async function retryingConflicts<T>(
  transaction: () => Promise<T>,
  attempts = TRANSACTION_ATTEMPTS,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await transaction();
    } catch (error) {
      if (!isRetryableTransactionError(error)) throw error;
      if (attemptNumber >= attempts) throw new TransactionConflict(attempts, error);
    }
    const capMs = Math.min(RETRY_MAX_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** (attemptNumber - 1));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
  }
}

/**
 * One transaction of `work` at READ COMMITTED (the next transaction of the connection only:
 * SET TRANSACTION). For background jobs that scan what others insert into (the reservation
 * sweep, the event relay): each read sees what committed since the transaction began, and a
 * range scan takes no gap lock where writers insert (under REPEATABLE READ an order creation
 * holding product locks could deadlock with it). Rolled back whole when `work` throws; not
 * retried (wrap it in retryingConflicts).
 */
export function readCommittedTransaction<T>(db: Database, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.task(async (connection) => {
    await connection.query(sql`SET TRANSACTION ISOLATION LEVEL READ COMMITTED`);
    return connection.tx(work);
  });
}
