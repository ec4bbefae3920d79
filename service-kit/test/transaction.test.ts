import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDatabase, insertedId, sql, transactionWithRetry, type Database } from '@b2b/service-kit';
import {
  createTestDatabase,
  startMySqlRoundTripCounter,
  type MySqlRoundTripCounter,
  type TestDatabase,
} from '@b2b/service-kit/testing';

// transactionWithRetry's round trips, commit and rollback, against a real server through a
// proxy that counts the COM_QUERY packets it receives.
describe('transactionWithRetry in batches', () => {
  let database: TestDatabase;
  let counter: MySqlRoundTripCounter;
  let db: Database;
  let productId: number;

  const stockOf = async (id: number) =>
    Number((await database.db.query(sql`SELECT stock FROM products WHERE id = ${id}`))[0].stock);
  const roundTripsOf = async (work: () => Promise<unknown>) => {
    const before = counter.queries;
    await work().catch(() => undefined);
    return counter.queries - before;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    counter = await startMySqlRoundTripCounter(database.url);
    // One connection, so every test shows whether it was kept or replaced.
    db = connectDatabase(counter.url, { poolSize: 1 });
    // A connection's first transaction learns whether its server is a Galera node (one
    // round trip, once per connection), which the counts below leave out.
    await transactionWithRetry(db, (tx) => tx.query(sql`SELECT 1`));
  });

  beforeEach(async () => {
    productId = insertedId(
      await database.db.query(
        sql`INSERT INTO products (sku, name, price_cents, stock) VALUES (${`TX-${Date.now()}-${Math.random()}`}, 'P', 100, 10)`,
      ),
    );
  });

  afterAll(async () => {
    await db?.dispose();
    await counter?.close();
    await database?.drop();
  });

  const connectionId = async () => Number((await db.query(sql`SELECT CONNECTION_ID() AS id`))[0].id);

  it('when the work reads and then commits its writes, then it takes two round trips and the writes are in', async () => {
    await connectionId();

    const roundTrips = await roundTripsOf(() =>
      transactionWithRetry(db, async (tx) => {
        const [row] = await tx.query(sql`SELECT stock FROM products WHERE id = ${productId} FOR UPDATE`);
        const stock = Number((row as { stock: number }).stock);
        await tx.commitWith([
          sql`UPDATE products SET stock = ${stock - 1} WHERE id = ${productId}`,
          sql`UPDATE products SET stock = stock - 1 WHERE id = ${productId}`,
        ]);
      }),
    );

    expect(roundTrips).toBe(2);
    expect(await stockOf(productId)).toBe(8);
  });

  it('when commitWith returns, then it gives each statement its own result, rows and insert ids alike', async () => {
    const [inserted, rows] = await transactionWithRetry(db, (tx) =>
      tx.commitWith([
        sql`INSERT INTO products (sku, name, price_cents, stock) VALUES (${`TX-R-${Date.now()}`}, 'R', 1, 1)`,
        sql`SELECT name FROM products WHERE id = LAST_INSERT_ID()`,
      ]),
    );

    expect(insertedId(inserted)).toBeGreaterThan(productId);
    expect(rows).toEqual([{ name: 'R' }]);
  });

  it('when the work throws after writing, then the write is rolled back and the connection stays in the pool', async () => {
    const before = await connectionId();

    const outcome = transactionWithRetry(db, async (tx) => {
      await tx.query(sql`UPDATE products SET stock = 0 WHERE id = ${productId}`);
      throw new Error('refused by the work');
    });

    await expect(outcome).rejects.toThrow('refused by the work');
    expect(await stockOf(productId)).toBe(10);
    expect(await connectionId()).toBe(before);
  });

  it('when a statement of the last batch fails, then the statements before it are rolled back and COMMIT never runs', async () => {
    const outcome = transactionWithRetry(db, (tx) =>
      tx.commitWith([
        sql`UPDATE products SET stock = 1 WHERE id = ${productId}`,
        // The CHECK (stock >= 0) refuses it: errno 4025 on MariaDB, 3819 on MySQL.
        sql`UPDATE products SET stock = -1 WHERE id = ${productId}`,
        sql`UPDATE products SET stock = 2 WHERE id = ${productId}`,
      ]),
    );

    await expect(outcome).rejects.toMatchObject({ errno: expect.any(Number) });
    expect(await stockOf(productId)).toBe(10);
  });

  it('when a statement outside any transaction fails (duplicate key), then the connection stays in the pool', async () => {
    const before = await connectionId();
    const insert = () =>
      db.query(
        sql`INSERT INTO products (id, sku, name, price_cents, stock) VALUES (${productId}, 'DUP', 'D', 1, 1)`,
      );

    await expect(insert()).rejects.toMatchObject({ errno: 1062 });
    expect(await connectionId()).toBe(before);
  });

  it('when a task that opened a transaction fails, then what it wrote is rolled back, never committed by the pool', async () => {
    const outcome = db.task(async (connection) => {
      await connection.query(sql`BEGIN`);
      await connection.query(sql`UPDATE products SET stock = 0 WHERE id = ${productId}`);
      throw new Error('the task gives up');
    });

    await expect(outcome).rejects.toThrow('the task gives up');
    expect(await stockOf(productId)).toBe(10);
    // The connection is pooled again, with no transaction left open on it.
    await db.query(sql`UPDATE products SET stock = 5 WHERE id = ${productId}`);
    expect(await stockOf(productId)).toBe(5);
  });

  it('when a step runs before COMMIT, then the work commitWith does not commit and the step can still roll everything back', async () => {
    const outcome = transactionWithRetry(
      db,
      (tx) => tx.commitWith([sql`UPDATE products SET stock = 3 WHERE id = ${productId}`]),
      {
        beforeCommit: async () => {
          throw new Error('the step refuses');
        },
      },
    );

    await expect(outcome).rejects.toThrow('the step refuses');
    expect(await stockOf(productId)).toBe(10);
  });
});
