import type { components } from '@b2b/contracts/orders';
import { sql, toSafeInteger, type Queryable, type SQLQuery } from '@b2b/service-kit';

export type Order = components['schemas']['Order'];
export type OrderItem = components['schemas']['OrderItem'];
export type OrderStatus = components['schemas']['OrderStatus'];
/** The buyer as they were when the order was placed. */
export type CustomerSnapshot = components['schemas']['CustomerSnapshot'];
export type OrderWithoutItems = Omit<Order, 'items'>;
/** Who canceled an order (the contract's CancelSource of a CANCELED order). */
export type CancelSource = NonNullable<Order['cancel_source']>;

/** What a cancellation records with the order. */
export interface Cancellation {
  source: CancelSource;
  /** Free text (a client's reason, the API's sentence for an expiry); null when none was given. */
  reason: string | null;
}

interface OrderRow {
  id: string;
  customer_id: string;
  customer_name: string;
  customer_email: string;
  customer_phone: string | null;
  status: OrderStatus;
  total_cents: string;
  created_at: Date;
  updated_at: Date;
  confirmed_at: Date | null;
  canceled_at: Date | null;
  cancel_source: CancelSource | null;
  cancel_reason: string | null;
}

interface OrderItemRow {
  order_id: string;
  product_id: string;
  sku: string;
  name: string;
  qty: number;
  unit_price_cents: string;
  subtotal_cents: string;
}

export interface LockedOrder {
  order: Order;
  /** Measured on the database clock, so every instance of the service agrees. */
  isWithinCancelWindow: boolean;
  /** The database clock when the lock was taken: the time of the transition that follows. */
  lockedAt: Date;
}

export interface OrderPageQuery {
  status?: OrderStatus;
  customerId?: number;
  from?: Date;
  to?: Date;
  /** The (created_at, id) of the last order of the previous page. */
  after?: { createdAt: Date; id: number };
  limit: number;
}

const idList = (ids: number[]) =>
  sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );

function toOrderWithoutItems(row: OrderRow): OrderWithoutItems {
  return {
    id: toSafeInteger(row.id),
    customer_id: toSafeInteger(row.customer_id),
    customer: {
      id: toSafeInteger(row.customer_id),
      name: row.customer_name,
      email: row.customer_email,
      phone: row.customer_phone,
    },
    status: row.status,
    total_cents: toSafeInteger(row.total_cents),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    confirmed_at: row.confirmed_at?.toISOString() ?? null,
    canceled_at: row.canceled_at?.toISOString() ?? null,
    cancel_source: row.cancel_source,
    cancel_reason: row.cancel_reason,
  };
}

function toOrderItem(row: OrderItemRow): OrderItem {
  return {
    product_id: toSafeInteger(row.product_id),
    sku: row.sku,
    name: row.name,
    qty: row.qty,
    unit_price_cents: toSafeInteger(row.unit_price_cents),
    subtotal_cents: toSafeInteger(row.subtotal_cents),
  };
}

/**
 * The INSERT of a CREATED order for `customer` (kept as a snapshot) stamped `createdAt` (a
 * database clock reading); its result carries the id.
 */
export function insertOrderStatement(order: {
  customer: CustomerSnapshot;
  totalCents: number;
  createdAt: Date;
}): SQLQuery {
  const { customer } = order;
  return sql`
    INSERT INTO orders (customer_id, customer_name, customer_email, customer_phone, status, total_cents,
                        created_at, updated_at)
    VALUES (${customer.id}, ${customer.name}, ${customer.email}, ${customer.phone}, 'CREATED',
            ${order.totalCents}, ${order.createdAt}, ${order.createdAt})
  `;
}

/**
 * All the lines of the order that the statement just before it on the same connection
 * inserted (insertOrderStatement), in one multi-row insert: the order's id is the server's
 * LAST_INSERT_ID(), which order_items (no AUTO_INCREMENT of its own) leaves unchanged.
 */
export function insertItemsOfLastOrderStatement(items: OrderItem[]): SQLQuery {
  const rows = items.map(
    (item) =>
      sql`(LAST_INSERT_ID(), ${item.product_id}, ${item.sku}, ${item.name}, ${item.qty}, ${item.unit_price_cents}, ${item.subtotal_cents})`,
  );
  return sql`
    INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents)
    VALUES ${sql.join(rows, sql`, `)}
  `;
}

export async function findOrderWithItems(db: Queryable, id: number): Promise<Order | undefined> {
  const rows = (await db.query(sql`
    SELECT o.id, o.customer_id, o.customer_name, o.customer_email, o.customer_phone,
           o.status, o.total_cents, o.created_at, o.updated_at,
           o.confirmed_at, o.canceled_at, o.cancel_source, o.cancel_reason,
           i.order_id, i.product_id, i.sku, i.name, i.qty, i.unit_price_cents, i.subtotal_cents
    FROM orders o
    JOIN order_items i ON i.order_id = o.id
    WHERE o.id = ${id}
    ORDER BY i.product_id
  `)) as Array<OrderRow & OrderItemRow>;
  const [first] = rows;
  return first && { ...toOrderWithoutItems(first), items: rows.map(toOrderItem) };
}

/**
 * Orders newest first, keyset-paginated on (created_at, id), which ix_orders_*_created_at_id
 * serve (ix_orders_customer_id_created_at_id for one customer's orders).
 */
export async function findOrderPage(db: Queryable, query: OrderPageQuery): Promise<OrderWithoutItems[]> {
  const conditions = [sql`TRUE`];
  if (query.status !== undefined) conditions.push(sql`status = ${query.status}`);
  if (query.customerId !== undefined) conditions.push(sql`customer_id = ${query.customerId}`);
  if (query.from !== undefined) conditions.push(sql`created_at >= ${query.from}`);
  if (query.to !== undefined) conditions.push(sql`created_at < ${query.to}`);
  if (query.after !== undefined) {
    const { createdAt, id } = query.after;
    conditions.push(sql`(created_at < ${createdAt} OR (created_at = ${createdAt} AND id < ${id}))`);
  }
  const rows = (await db.query(sql`
    SELECT * FROM orders
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY created_at DESC, id DESC
    LIMIT ${query.limit}
  `)) as OrderRow[];
  return rows.map(toOrderWithoutItems);
}

/** The items of many orders in one query, so a page of orders costs two queries whatever its size. */
export async function findItemsOfOrders(
  db: Queryable,
  orderIds: number[],
): Promise<Map<number, OrderItem[]>> {
  const itemsByOrder = new Map<number, OrderItem[]>(orderIds.map((id) => [id, []]));
  if (orderIds.length === 0) return itemsByOrder;
  const rows = (await db.query(sql`
    SELECT * FROM order_items
    WHERE order_id IN (${idList(orderIds)})
    ORDER BY order_id, product_id
  `)) as OrderItemRow[];
  for (const row of rows) itemsByOrder.get(toSafeInteger(row.order_id))?.push(toOrderItem(row));
  return itemsByOrder;
}

/** The orders `ids` with their items (for a transaction that holds them locked), in id order: two queries. */
export async function findOrdersWithItems(db: Queryable, ids: number[]): Promise<Order[]> {
  if (ids.length === 0) return [];
  const rows = (await db.query(
    sql`SELECT * FROM orders WHERE id IN (${idList(ids)}) ORDER BY id`,
  )) as OrderRow[];
  const itemsByOrder = await findItemsOfOrders(db, ids);
  return rows.map((row) => {
    const order = toOrderWithoutItems(row);
    return { ...order, items: itemsByOrder.get(order.id) ?? [] };
  });
}

/** `order` as a cancellation at `at` leaves it (what markOrdersCanceledStatement writes). */
export function canceledOrder(order: Order, at: Date, cancellation: Cancellation): Order {
  const instant = at.toISOString();
  return {
    ...order,
    status: 'CANCELED',
    canceled_at: instant,
    updated_at: instant,
    cancel_source: cancellation.source,
    cancel_reason: cancellation.reason,
  };
}

/**
 * Locks the order and its items for the rest of the transaction and reads them, so
 * concurrent transitions of one order run one after the other, each seeing the status the
 * previous one left, and the transition needs no read after it.
 */
export async function lockOrder(
  tx: Queryable,
  id: number,
  cancelWindowMinutes: number,
): Promise<LockedOrder | undefined> {
  const rows = (await tx.query(sql`
    SELECT o.id, o.customer_id, o.customer_name, o.customer_email, o.customer_phone,
           o.status, o.total_cents, o.created_at, o.updated_at,
           o.confirmed_at, o.canceled_at, o.cancel_source, o.cancel_reason,
           i.order_id, i.product_id, i.sku, i.name, i.qty, i.unit_price_cents, i.subtotal_cents,
           o.confirmed_at > NOW(3) - INTERVAL ${cancelWindowMinutes} MINUTE AS is_within_cancel_window,
           NOW(3) AS locked_at
    FROM orders o
    JOIN order_items i ON i.order_id = o.id
    WHERE o.id = ${id}
    ORDER BY i.product_id
    FOR UPDATE
  `)) as Array<
    OrderRow & OrderItemRow & { is_within_cancel_window: number | string | null; locked_at: Date }
  >;
  const [first] = rows;
  return (
    first && {
      order: { ...toOrderWithoutItems(first), items: rows.map(toOrderItem) },
      isWithinCancelWindow: Number(first.is_within_cancel_window) === 1,
      lockedAt: first.locked_at,
    }
  );
}

/** The UPDATE making an order CONFIRMED at `at` (the database clock read by lockOrder). */
export function markOrderConfirmedStatement(id: number, at: Date): SQLQuery {
  return sql`
    UPDATE orders SET status = 'CONFIRMED', confirmed_at = ${at}, updated_at = ${at} WHERE id = ${id}
  `;
}

/** The UPDATE making orders CANCELED at `at` (the database clock read when they were locked), saying who and why. */
export function markOrdersCanceledStatement(ids: number[], at: Date, cancellation: Cancellation): SQLQuery {
  return sql`
    UPDATE orders
    SET status = 'CANCELED', canceled_at = ${at}, updated_at = ${at},
        cancel_source = ${cancellation.source}, cancel_reason = ${cancellation.reason}
    WHERE id IN (${idList(ids)})
  `;
}

/**
 * Locks up to `limit` CREATED orders older than `ttlMinutes` on the database clock, oldest
 * first, for the rest of the transaction. SKIP LOCKED passes over orders another
 * transaction holds — the same sweep in another replica, or a confirm or cancel in flight —
 * so concurrent sweeps split the expired orders between them instead of waiting for each
 * other, and every order is canceled by exactly one of them. Orders in `excludedIds` (those
 * the sweep already failed to cancel) are passed over too, so they never hold up the
 * orders behind them. Served by ix_orders_status_created_at_id.
 */
export async function lockExpiredReservations(
  tx: Queryable,
  ttlMinutes: number,
  limit: number,
  excludedIds: number[] = [],
): Promise<{ orderIds: number[]; lockedAt: Date | undefined }> {
  const notExcluded = excludedIds.length > 0 ? sql`AND id NOT IN (${idList(excludedIds)})` : sql``;
  const rows = (await tx.query(sql`
    SELECT id, NOW(3) AS locked_at FROM orders
    WHERE status = 'CREATED' AND created_at < NOW(3) - INTERVAL ${ttlMinutes} MINUTE ${notExcluded}
    ORDER BY created_at, id
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED
  `)) as Array<{ id: string; locked_at: Date }>;
  return { orderIds: rows.map((row) => toSafeInteger(row.id)), lockedAt: rows[0]?.locked_at };
}
