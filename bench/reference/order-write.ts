// The order write as a plain implementation sends it: the statements of placeOrder in
// orders-api/src/orders/orders.ts (lock and read the products and the database clock,
// insert the order, insert its items, take the stock), each in a round trip of its own,
// between BEGIN and COMMIT: six round trips. The Orders API sends the same statements in
// two (BEGIN rides with the lock, COMMIT with the writes). Shared by the reference Orders
// API and the DB-limit probe, so both send exactly this; change the statements with the
// Orders API's.
import type { Connection, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { HttpError } from './common';

export interface OrderLine {
  product_id: number;
  qty: number;
}

/** The buyer as the order keeps them. */
export interface CustomerSnapshot {
  id: number;
  name: string;
  email: string;
  phone: string | null;
}

/**
 * Places one order inside the caller's open transaction on `connection`; returns the order
 * as the API answers it, built from what was written. Throws HttpError 422 / 409.
 */
export async function writeOrder(
  connection: Connection | PoolConnection,
  customer: CustomerSnapshot,
  lines: OrderLine[],
): Promise<{ id: number; body: Record<string, unknown> }> {
  const ids = lines.map((line) => line.product_id);
  const [products] = await connection.query<RowDataPacket[]>(
    'SELECT id, sku, name, price_cents, stock, NOW(3) AS locked_at FROM products WHERE id IN (?) ORDER BY id FOR UPDATE',
    [ids],
  );
  const byId = new Map(products.map((row) => [Number(row.id), row]));
  const items = lines.map((line) => {
    const product = byId.get(line.product_id);
    if (!product) throw new HttpError(422, 'PRODUCT_NOT_FOUND');
    if (Number(product.stock) < line.qty) throw new HttpError(409, 'INSUFFICIENT_STOCK');
    const price = Number(product.price_cents);
    return {
      product_id: line.product_id,
      sku: product.sku as string,
      name: product.name as string,
      qty: line.qty,
      unit_price_cents: price,
      subtotal_cents: price * line.qty,
    };
  });
  const total = items.reduce((sum, item) => sum + item.subtotal_cents, 0);
  const createdAt = products[0]!.locked_at as Date;
  const [inserted] = await connection.query<ResultSetHeader>(
    `INSERT INTO orders (customer_id, customer_name, customer_email, customer_phone, status, total_cents, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'CREATED', ?, ?, ?)`,
    [customer.id, customer.name, customer.email, customer.phone, total, createdAt, createdAt],
  );
  const orderId = inserted.insertId;
  await connection.query(
    'INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents) VALUES ?',
    [
      items.map((item) => [
        orderId,
        item.product_id,
        item.sku,
        item.name,
        item.qty,
        item.unit_price_cents,
        item.subtotal_cents,
      ]),
    ],
  );
  const cases = lines.map(() => 'WHEN ? THEN stock - ?').join(' ');
  await connection.query(
    `UPDATE products SET stock = CASE id ${cases} END, updated_at = NOW(3) WHERE id IN (?)`,
    [...lines.flatMap((line) => [line.product_id, line.qty]), ids],
  );
  const at = createdAt.toISOString();
  return {
    id: orderId,
    body: {
      id: orderId,
      customer_id: customer.id,
      customer,
      status: 'CREATED',
      total_cents: total,
      created_at: at,
      updated_at: at,
      confirmed_at: null,
      canceled_at: null,
      items: items.sort((a, b) => a.product_id - b.product_id),
    },
  };
}
