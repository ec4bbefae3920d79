import type { components } from '@b2b/contracts/orders';
import {
  containsPattern,
  insertedId,
  sql,
  toSafeInteger,
  type Queryable,
  type SQLQuery,
} from '@b2b/service-kit';

export type Product = components['schemas']['Product'];
export type ProductCreate = components['schemas']['ProductCreate'];
export type ProductUpdate = components['schemas']['ProductUpdate'];

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  price_cents: string;
  stock: number;
  created_at: Date;
  updated_at: Date;
}

/** A product as an order sees it while holding its row lock. */
export interface LockedProduct {
  id: number;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}

export interface StockChange {
  productId: number;
  qty: number;
}

/**
 * The most units a product can have on hand: the contract's StockOnHand maximum, the most
 * products.stock (INT) holds. An operator sets at most 1,000,000 (the contract's Stock); only
 * cancellations giving units back can reach it, and they stop there (restoreStockOfOrdersStatement).
 */
export const MAX_STOCK_ON_HAND = 2_147_483_647;

/** Units that a cancellation could not give back to a product: its stock stopped at MAX_STOCK_ON_HAND. */
export interface StockClamp {
  productId: number;
  /** How many units of the canceled orders did not fit. */
  lostUnits: number;
  /** The canceled orders holding this product. */
  orderIds: number[];
}

function toProduct(row: ProductRow): Product {
  return {
    id: toSafeInteger(row.id),
    sku: row.sku,
    name: row.name,
    price_cents: toSafeInteger(row.price_cents),
    stock: row.stock,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const idList = (ids: number[]) =>
  sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );

/** Inserts a product and returns its id. Fails with errno 1062 when the sku is taken (compared case-insensitively). */
export async function insertProduct(db: Queryable, product: ProductCreate): Promise<number> {
  return insertedId(
    await db.query(sql`
      INSERT INTO products (sku, name, price_cents, stock)
      VALUES (${product.sku}, ${product.name}, ${product.price_cents}, ${product.stock})
    `),
  );
}

export async function findProduct(db: Queryable, id: number): Promise<Product | undefined> {
  const [row] = (await db.query(sql`SELECT * FROM products WHERE id = ${id}`)) as ProductRow[];
  return row && toProduct(row);
}

export async function updateProductFields(db: Queryable, id: number, changes: ProductUpdate): Promise<void> {
  const assignments = [sql`updated_at = NOW(3)`, sql`version = version + 1`];
  if (changes.name !== undefined) assignments.push(sql`name = ${changes.name}`);
  if (changes.price_cents !== undefined) assignments.push(sql`price_cents = ${changes.price_cents}`);
  if (changes.stock !== undefined) assignments.push(sql`stock = ${changes.stock}`);
  await db.query(sql`UPDATE products SET ${sql.join(assignments, sql`, `)} WHERE id = ${id}`);
}

/**
 * Products after `afterId` in id order, `limit` of them; the table collation makes the search
 * case-insensitive. `stockBelow` keeps those with fewer units: no index on stock, products are
 * few and the walk is in primary-key order anyway (see db/migrations/0009-*).
 */
export async function findProductPage(
  db: Queryable,
  query: { search?: string; stockBelow?: number; afterId: number; limit: number },
): Promise<Product[]> {
  const conditions = [sql`id > ${query.afterId}`];
  if (query.stockBelow !== undefined) conditions.push(sql`stock < ${query.stockBelow}`);
  if (query.search !== undefined) {
    const pattern = containsPattern(query.search);
    conditions.push(sql`(sku LIKE ${pattern} ESCAPE '!' OR name LIKE ${pattern} ESCAPE '!')`);
  }
  const rows = (await db.query(sql`
    SELECT * FROM products
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY id
    LIMIT ${query.limit}
  `)) as ProductRow[];
  return rows.map(toProduct);
}

/**
 * Locks the products of an order in ascending id order, in one statement. Every order
 * locks in the same order, so two orders over the same products queue instead of
 * deadlocking each other. Also answers the database clock (`lockedAt`), so the order can
 * be stamped with it without another round trip; undefined when no product exists.
 */
export async function lockProducts(
  tx: Queryable,
  ids: number[],
): Promise<{ products: LockedProduct[]; lockedAt: Date | undefined }> {
  const rows = (await tx.query(sql`
    SELECT id, sku, name, price_cents, stock, NOW(3) AS locked_at FROM products
    WHERE id IN (${idList(ids)})
    ORDER BY id
    FOR UPDATE
  `)) as Array<Pick<ProductRow, 'id' | 'sku' | 'name' | 'price_cents' | 'stock'> & { locked_at: Date }>;
  const products = rows.map((row) => ({
    id: toSafeInteger(row.id),
    sku: row.sku,
    name: row.name,
    priceCents: toSafeInteger(row.price_cents),
    stock: row.stock,
  }));
  return { products, lockedAt: rows[0]?.locked_at };
}

/**
 * The statement taking the ordered quantities off the stock of every product at once. A
 * CASE expression rather than a join with a VALUES table: it reads the same on MySQL 8
 * and MariaDB. The rows are already locked by lockProducts.
 */
export function decrementStockStatement(changes: StockChange[]): SQLQuery {
  const newStock = sql.join(
    changes.map((change) => sql`WHEN ${change.productId} THEN stock - ${change.qty}`),
    sql` `,
  );
  return sql`
    UPDATE products
    SET stock = CASE id ${newStock} END, updated_at = NOW(3), version = version + 1
    WHERE id IN (${idList(changes.map((change) => change.productId))})
  `;
}

/**
 * The statement giving the quantities of some orders back to their products (a product on
 * several of them gets the sum), stopping at MAX_STOCK_ON_HAND: a cancellation always
 * succeeds, and what did not fit is read before by stockBeyondMaximumStatement. ORDER BY id
 * makes it lock the products in ascending id order, like order creation does.
 */
export function restoreStockOfOrdersStatement(orderIds: number[]): SQLQuery {
  return sql`
    UPDATE products
    SET stock = LEAST(
          stock + (
            SELECT SUM(item.qty) FROM order_items item
            WHERE item.order_id IN (${idList(orderIds)}) AND item.product_id = products.id
          ),
          ${MAX_STOCK_ON_HAND}
        ),
        updated_at = NOW(3),
        version = version + 1
    WHERE id IN (SELECT product_id FROM order_items WHERE order_id IN (${idList(orderIds)}))
    ORDER BY id
  `;
}

/**
 * The statement to send just before restoreStockOfOrdersStatement in the same transaction
 * (a cancellation sends both in one round trip, with COMMIT): locks the same products in
 * ascending id order and answers a row only for a product whose stock would pass
 * MAX_STOCK_ON_HAND (read the rows with toStockClamps). A cancellation that fits, the usual
 * case, gets no row and pays no round trip for the check.
 */
export function stockBeyondMaximumStatement(orderIds: number[]): SQLQuery {
  const ofThisProduct = sql`FROM order_items item WHERE item.order_id IN (${idList(orderIds)}) AND item.product_id = products.id`;
  return sql`
    SELECT id AS product_id,
           stock + (SELECT SUM(item.qty) ${ofThisProduct}) - ${MAX_STOCK_ON_HAND} AS lost_units,
           (SELECT GROUP_CONCAT(item.order_id ORDER BY item.order_id) ${ofThisProduct}) AS order_ids
    FROM products
    WHERE id IN (SELECT product_id FROM order_items WHERE order_id IN (${idList(orderIds)}))
    HAVING lost_units > 0
    ORDER BY id
    FOR UPDATE
  `;
}

/** The rows of stockBeyondMaximumStatement. */
export function toStockClamps(rows: unknown[]): StockClamp[] {
  return (rows as Array<{ product_id: string; lost_units: string | number; order_ids: string }>).map(
    (row) => ({
      productId: toSafeInteger(row.product_id),
      lostUnits: toSafeInteger(row.lost_units),
      orderIds: row.order_ids.split(',').map((id) => toSafeInteger(id)),
    }),
  );
}
