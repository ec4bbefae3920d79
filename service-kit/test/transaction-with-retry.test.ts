import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isRetryableTransactionError,
  sql,
  toProblem,
  transactionWithRetry,
  TransactionConflict,
  TRANSACTION_ATTEMPTS,
} from '@b2b/service-kit';
import { createTestDatabase, type TestDatabase } from '@b2b/service-kit/testing';

/** Resolves once `parties` callers are waiting on it. */
function barrier(parties: number) {
  let arrived = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return () => {
    arrived += 1;
    if (arrived === parties) release();
    return released;
  };
}

describe('transactionWithRetry', () => {
  let database: TestDatabase;
  let first: number;
  let second: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    await database.db.query(sql`
      INSERT INTO products (sku, name, price_cents, stock) VALUES ('LOCK-A', 'A', 1, 10), ('LOCK-B', 'B', 1, 10)`);
    const rows = await database.db.query(sql`SELECT id FROM products ORDER BY id`);
    first = Number(rows[0].id);
    second = Number(rows[1].id);
  });

  afterAll(async () => {
    await database.drop();
  });

  it('when two transactions lock two rows in opposite orders, then the deadlock victim is retried and both commit', async () => {
    const { db } = database;
    const bothHoldTheirFirstLock = barrier(2);
    const attempts = { forward: 0, backward: 0 };
    const lockInOrder = (direction: keyof typeof attempts, [one, two]: number[]) =>
      transactionWithRetry(db, async (tx) => {
        attempts[direction] += 1;
        await tx.query(sql`SELECT id FROM products WHERE id = ${one} FOR UPDATE`);
        if (attempts[direction] === 1) await bothHoldTheirFirstLock();
        await tx.query(sql`UPDATE products SET stock = stock - 1 WHERE id = ${two}`);
      });

    await Promise.all([lockInOrder('forward', [first, second]), lockInOrder('backward', [second, first])]);

    // InnoDB rolled one of them back as a deadlock; it ran again and both changes are in.
    expect(attempts.forward + attempts.backward).toBe(3);
    const stock = await db.query(sql`SELECT stock FROM products ORDER BY id`);
    expect(stock.map((row: { stock: number }) => row.stock)).toEqual([9, 9]);
  });

  it('when the database keeps aborting the transaction, then it gives up after six attempts with 503 DATABASE_CONFLICT and Retry-After, never a 500', async () => {
    let attempts = 0;
    const deadlock = Object.assign(new Error('Deadlock found when trying to get lock'), { errno: 1213 });

    const outcome = transactionWithRetry(database.db, async () => {
      attempts += 1;
      throw deadlock;
    });

    const error = await outcome.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionConflict);
    expect((error as TransactionConflict).cause).toBe(deadlock);
    expect(toProblem(error)).toMatchObject({
      status: 503,
      code: 'DATABASE_CONFLICT',
      headers: { 'Retry-After': '1' },
    });
    expect(attempts).toBe(TRANSACTION_ATTEMPTS);
    expect(TRANSACTION_ATTEMPTS).toBe(6);
  });

  it('when the error is not a deadlock or lock wait timeout, then it is not retried', async () => {
    let attempts = 0;
    const duplicate = Object.assign(new Error('Duplicate entry'), { errno: 1062 });

    await expect(
      transactionWithRetry(database.db, async () => {
        attempts += 1;
        throw duplicate;
      }),
    ).rejects.toBe(duplicate);
    expect(attempts).toBe(1);
    expect(isRetryableTransactionError(duplicate)).toBe(false);
  });
});
