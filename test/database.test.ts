import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySeed, isCheckViolation, isDuplicateKey, migrateDatabase, sql } from '@b2b/service-kit';
import { createTestDatabase, type TestDatabase } from '@b2b/service-kit/testing';

describe('database migrations and seed', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('when the migrations and the seed are applied again, then the second run changes nothing', async () => {
    const { db } = database;
    await applySeed(db);
    const countRows = async () =>
      db.query(sql`
        SELECT (SELECT COUNT(*) FROM operators) AS operators,
               (SELECT COUNT(*) FROM customers) AS customers,
               (SELECT COUNT(*) FROM products) AS products,
               (SELECT COUNT(*) FROM orders) AS orders,
               (SELECT COUNT(*) FROM order_items) AS order_items`);
    const first = await countRows();
    expect(await migrateDatabase(db)).toEqual([]);
    await applySeed(db);
    expect(await countRows()).toEqual(first);
    expect(first[0]).toEqual({
      operators: '1',
      customers: '5',
      products: '10',
      orders: '2',
      order_items: '4',
    });
  });

  it('when the seed is loaded, then every seeded order total is the sum of its items', async () => {
    const mismatches = await database.db.query(sql`
      SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id
      GROUP BY o.id, o.total_cents HAVING SUM(i.subtotal_cents) <> o.total_cents`);
    expect(mismatches).toEqual([]);
  });

  it('when stock would go negative, then the CHECK constraint rejects the row', async () => {
    const { db } = database;
    const error = await db
      .query(sql`INSERT INTO products (sku, name, price_cents, stock) VALUES ('NEG-1', 'Negative', 100, -1)`)
      .catch((caught: unknown) => caught);
    expect(isCheckViolation(error)).toBe(true);
  });

  it('when two active customers share an email in any case, then the second is rejected', async () => {
    const { db } = database;
    await db.query(sql`INSERT INTO customers (name, email) VALUES ('First', 'dup@example.com')`);
    const error = await db
      .query(sql`INSERT INTO customers (name, email) VALUES ('Second', 'DUP@Example.com')`)
      .catch((caught: unknown) => caught);
    expect(isDuplicateKey(error)).toBe(true);
  });

  it('when the customer holding an email is deleted, then the email can be used again', async () => {
    const { db } = database;
    await db.query(sql`INSERT INTO customers (name, email) VALUES ('Old', 'reuse@example.com')`);
    await db.query(
      sql`UPDATE customers SET deleted_at = CURRENT_TIMESTAMP(3) WHERE email = 'reuse@example.com'`,
    );
    await db.query(sql`INSERT INTO customers (name, email) VALUES ('New', 'reuse@example.com')`);
    const rows = await db.query(sql`SELECT COUNT(*) AS n FROM customers WHERE email = 'reuse@example.com'`);
    expect(rows[0].n).toBe('2');
  });

  it('when a product sku differs only in case, then it is a duplicate', async () => {
    const { db } = database;
    await db.query(sql`INSERT INTO products (sku, name, price_cents, stock) VALUES ('CASE-1', 'A', 1, 1)`);
    const error = await db
      .query(sql`INSERT INTO products (sku, name, price_cents, stock) VALUES ('case-1', 'B', 1, 1)`)
      .catch((caught: unknown) => caught);
    expect(isDuplicateKey(error)).toBe(true);
  });

  it('when an order item subtotal is not qty × unit price, then the row is rejected', async () => {
    const { db } = database;
    await db.query(sql`INSERT INTO products (sku, name, price_cents, stock) VALUES ('SUB-1', 'S', 100, 5)`);
    await db.query(
      sql`INSERT INTO orders (customer_id, customer_name, customer_email, total_cents) VALUES (1, 'C', 'c@example.com', 100)`,
    );
    const error = await db
      .query(
        sql`INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents)
            SELECT MAX(o.id), p.id, p.sku, p.name, 2, 100, 100 FROM orders o, products p WHERE p.sku = 'SUB-1'
            GROUP BY p.id, p.sku, p.name`,
      )
      .catch((caught: unknown) => caught);
    expect(isCheckViolation(error)).toBe(true);
  });
});
