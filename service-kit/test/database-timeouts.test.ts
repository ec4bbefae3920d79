import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkDatabaseHealth, connectDatabase, sql, type Database } from '../src';
import {
  mariadbBinaries,
  NO_MARIADB_BINARIES,
  startPrivateDatabaseServer,
  type PrivateDatabaseServer,
} from '../src/testing';

// A frozen server (SIGSTOP) accepts TCP connections and never answers: only the client's own
// bounds can end a wait. These need a private server the test may freeze.
const hasBinaries = mariadbBinaries() !== undefined;
if (!hasBinaries) console.warn(`database-timeouts.test.ts skipped: ${NO_MARIADB_BINARIES}`);

const BOUNDS = { acquireTimeoutMs: 400, statementTimeoutMs: 600 };
// Generous: the machine is shared, and the point is "bounded", not "fast".
const SLACK_MS = 1500;

describe.skipIf(!hasBinaries)('connectDatabase with timeouts, against a frozen server', () => {
  let server: PrivateDatabaseServer;
  let databaseUrl: string;
  let observer: Database;
  const pools: Database[] = [];

  const boundedPool = (options: Partial<typeof BOUNDS> & { poolSize?: number } = {}) => {
    const pool = connectDatabase(databaseUrl, { poolSize: 2, ...BOUNDS, ...options });
    pools.push(pool);
    return pool;
  };

  /** Runs `work` with the server frozen, and thaws it whatever happens. */
  async function whileFrozen<T>(work: () => Promise<T>): Promise<T> {
    await server.freeze();
    try {
      return await work();
    } finally {
      server.thaw();
    }
  }

  async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
    const startedAt = performance.now();
    const [outcome] = await Promise.allSettled([work()]);
    return { ms: performance.now() - startedAt, outcome: outcome! };
  }

  beforeAll(async () => {
    server = await startPrivateDatabaseServer();
    const created = await server.createDatabase('timeouts');
    databaseUrl = created.url;
    observer = created.db;
    await observer.query(sql`CREATE TABLE notes (id INT PRIMARY KEY, text VARCHAR(20) NOT NULL)`);
  }, 60_000);

  afterAll(async () => {
    server?.thaw();
    await Promise.all([observer, ...pools].map((pool) => pool?.dispose().catch(() => undefined)));
    await server?.destroy();
  });

  it('when a query meets a frozen server, then it rejects with DATABASE_STATEMENT_TIMEOUT within the bound', async () => {
    const db = boundedPool();
    await db.query(sql`SELECT 1`);

    const { ms, outcome } = await whileFrozen(() => timed(() => db.query(sql`SELECT 1`)));

    expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'DATABASE_STATEMENT_TIMEOUT' } });
    expect(ms).toBeGreaterThanOrEqual(BOUNDS.statementTimeoutMs - 50);
    expect(ms).toBeLessThan(BOUNDS.statementTimeoutMs + SLACK_MS);
  });

  it('when a statement of a transaction times out, then its connection is closed and nothing it wrote is kept', async () => {
    const db = boundedPool();
    // Its connection opened first, as in the test above: opening one on a busy machine may
    // take longer than the acquire bound, and that bound has its own test below.
    await db.query(sql`SELECT 1`);
    let threadId = 0;

    const { outcome } = await timed(() =>
      db.tx(async (tx) => {
        [{ id: threadId }] = await tx.query(sql`SELECT CONNECTION_ID() AS id`);
        await tx.query(sql`INSERT INTO notes (id, text) VALUES (1, 'first half')`);
        await whileFrozen(() => tx.query(sql`INSERT INTO notes (id, text) VALUES (2, 'second half')`));
      }),
    );

    expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'DATABASE_STATEMENT_TIMEOUT' } });
    // Once thawed, the server sees the closed socket, ends that session and rolls it back.
    await vi.waitFor(
      async () => {
        const [{ sessions }] = await observer.query(
          sql`SELECT COUNT(*) AS sessions FROM information_schema.PROCESSLIST WHERE ID = ${threadId}`,
        );
        expect(Number(sessions)).toBe(0);
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(await observer.query(sql`SELECT id FROM notes`)).toEqual([]);
  });

  it('when every connection is stuck on the frozen server, then the next caller gets DATABASE_ACQUIRE_TIMEOUT', async () => {
    const db = boundedPool({ poolSize: 1, acquireTimeoutMs: 300, statementTimeoutMs: 2000 });
    await db.query(sql`SELECT 1`);

    const [stuck, waiting] = await whileFrozen(() =>
      Promise.all([timed(() => db.query(sql`SELECT 1`)), timed(() => db.query(sql`SELECT 2`))]),
    );

    expect(stuck.outcome).toMatchObject({
      status: 'rejected',
      reason: { code: 'DATABASE_STATEMENT_TIMEOUT' },
    });
    expect(waiting.outcome).toMatchObject({
      status: 'rejected',
      reason: { code: 'DATABASE_ACQUIRE_TIMEOUT' },
    });
    expect(waiting.ms).toBeLessThan(300 + SLACK_MS);
  });

  it('when a new connection meets a frozen server, then opening it is bounded by the acquire timeout', async () => {
    const db = boundedPool();

    const { ms, outcome } = await whileFrozen(() => timed(() => db.query(sql`SELECT 1`)));

    expect(outcome.status).toBe('rejected');
    expect(ms).toBeLessThan(BOUNDS.acquireTimeoutMs + SLACK_MS);
  });

  it('when the server thaws, then the same pool serves again', async () => {
    const db = boundedPool();
    await whileFrozen(() => timed(() => db.query(sql`SELECT 1`)));

    expect(await db.query(sql`SELECT 42 AS answer`)).toEqual([{ answer: 42 }]);
  });

  it('when the database is frozen, then the health ping says so within about a second', async () => {
    const db = boundedPool({ acquireTimeoutMs: 5000, statementTimeoutMs: 5000 });
    expect(await checkDatabaseHealth(db)).toBe('up');

    const { ms, outcome } = await whileFrozen(() => timed(() => checkDatabaseHealth(db)));

    expect(outcome).toEqual({ status: 'fulfilled', value: 'down' });
    expect(ms).toBeLessThan(1000 + SLACK_MS);
  });

  it('when a connection is first used, then the server is told the same bounds', async () => {
    const db = boundedPool({ statementTimeoutMs: 2500 });

    const [settings] = await db.query(
      sql`SELECT @@max_statement_time AS statementSeconds, @@innodb_lock_wait_timeout AS lockWaitSeconds`,
    );

    expect(Number(settings.statementSeconds)).toBe(2.5);
    expect(Number(settings.lockWaitSeconds)).toBe(3);
  });
});
