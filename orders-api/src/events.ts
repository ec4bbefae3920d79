import type { OrdersApiEventType } from '@b2b/contracts/events';
import {
  insertEventsFromRowsStatement,
  insertEventStatement,
  isoInstantSql,
  sql,
  type Outbox,
  type SQLQuery,
} from '@b2b/service-kit';
import type { Order } from './orders/order-repository';

/** The Orders API's outbox (db/migrations/0007-event-outbox.sql): order.* and product.* events. */
export const ORDERS_OUTBOX: Outbox = { table: 'orders_outbox', source: '/b2b/orders-api' };

/**
 * Where a use case writes its events: ORDERS_OUTBOX, or undefined under EVENTS=off (then every
 * builder below returns no statement).
 */
export type EventsOutbox = Outbox | undefined;

type OrderEventType = Extract<OrdersApiEventType, `order.${string}`>;

/**
 * An order's subjectsequence: the number of transitions it has made (created 1, confirmed 2,
 * canceled 2 or 3). Orders only move forward (CREATED → CONFIRMED → CANCELED), so this counts
 * its events without a column of its own.
 */
function orderSequence(order: Pick<Order, 'confirmed_at' | 'canceled_at'>): number {
  return 1 + (order.confirmed_at === null ? 0 : 1) + (order.canceled_at === null ? 0 : 1);
}

/** The INSERT of `type`'s event for `order` as it is after the change, stamped with the change's time. */
export function orderEventStatements(
  outbox: EventsOutbox,
  type: Exclude<OrderEventType, 'order.created'>,
  order: Order,
  correlationId: string,
): SQLQuery[] {
  if (!outbox) return [];
  return [
    insertEventStatement(outbox, {
      type,
      subject: `orders/${order.id}`,
      subjectSequence: orderSequence(order),
      time: new Date(order.updated_at),
      correlationId,
      data: order,
    }),
  ];
}

/**
 * The order.created event of the order that the batch's INSERT INTO orders just created: its
 * id is the server's LAST_INSERT_ID() (unchanged by the items and stock statements between),
 * written into the data here, so the event costs no round trip. `order` is the answer the
 * request gives, its `id` not yet known.
 */
export function orderCreatedOfLastOrderStatements(
  outbox: EventsOutbox,
  order: Order,
  correlationId: string,
): SQLQuery[] {
  if (!outbox) return [];
  return [
    insertEventStatement(outbox, {
      type: 'order.created',
      subject: sql`CONCAT('orders/', LAST_INSERT_ID())`,
      subjectSequence: 1,
      time: new Date(order.created_at),
      correlationId,
      data: sql`JSON_SET(${JSON.stringify(order)}, '$.id', LAST_INSERT_ID())`,
    }),
  ];
}

/**
 * The product.created or product.updated event of every product `where` selects (a condition
 * on the products table, alias p), its data the row as the statements before it in the same
 * transaction left it: the representation of contracts/orders.yaml Product, built by the
 * database (JSON_OBJECT) so an order's stock change costs one statement, not a read. The
 * subjectsequence is the row's version, which every write of a product increments.
 */
export function productEventsStatements(
  outbox: EventsOutbox,
  type: 'product.created' | 'product.updated',
  where: SQLQuery,
  correlationId: string,
): SQLQuery[] {
  if (!outbox) return [];
  return [
    insertEventsFromRowsStatement(outbox, {
      type,
      correlationId,
      subject: sql`CONCAT('products/', p.id)`,
      subjectSequence: sql`p.version`,
      time: sql`p.updated_at`,
      data: sql`JSON_OBJECT(
      'id', p.id, 'sku', p.sku, 'name', p.name, 'price_cents', p.price_cents, 'stock', p.stock,
      'created_at', ${isoInstantSql(sql`p.created_at`)}, 'updated_at', ${isoInstantSql(sql`p.updated_at`)}
    )`,
      from: sql`FROM products p WHERE ${where} ORDER BY p.id`,
    }),
  ];
}
