import type { components } from '@b2b/contracts/orders';
import { sql, transactionWithRetry, type Logger, type SQLQuery } from '@b2b/service-kit';
import { CancelWindowExpired, CompensationOfConfirmedOrder, OrderNotFound } from '../errors';
import { orderEventStatements, productEventsStatements, type EventsOutbox } from '../events';
import type { OrdersMetrics } from '../metrics';
import {
  MAX_STOCK_ON_HAND,
  restoreStockOfOrdersStatement,
  stockBeyondMaximumStatement,
  toStockClamps,
  type StockClamp,
} from '../products/product-repository';
import {
  canceledOrder,
  lockOrder,
  markOrdersCanceledStatement,
  type Cancellation,
  type CancelSource,
  type Order,
  type OrderStatus,
} from './order-repository';
import type { OrdersContext } from './orders';

/** The optional body of POST /orders/{id}/cancel. */
export type OrderCancel = components['schemas']['OrderCancel'];

/**
 * Reports the units that committed cancellations could not give back (their products'
 * stock stopped at MAX_STOCK_ON_HAND, and the cancellations succeeded): a warning line per
 * product naming the order(s), and the count in orders_stock_clamped_units_total.
 */
export function reportStockClamps(
  logger: Logger,
  metrics: OrdersMetrics | undefined,
  clamps: StockClamp[],
  cancelSource: CancelSource,
): void {
  for (const { productId, lostUnits, orderIds } of clamps) {
    const orders = orderIds.length === 1 ? { orderId: orderIds[0] } : { orderIds };
    logger.warn(
      { ...orders, productId, lostUnits, cancelSource, maxStockOnHand: MAX_STOCK_ON_HAND },
      'order canceled, but its stock could not all be given back: the product is at the maximum stock on hand',
    );
    metrics?.stockClampedUnits.inc({ cancel_source: cancelSource }, lostUnits);
  }
}

/**
 * The events of a committed cancellation of `orders` (as they are after it): an order.canceled
 * per order and a product.updated per product whose stock came back, to send after
 * restoreStockOfOrdersStatement and markOrdersCanceledStatement in the same transaction.
 */
export function cancellationEventStatements(
  outbox: EventsOutbox,
  orders: Order[],
  correlationId: string,
): SQLQuery[] {
  const orderIds = sql.join(
    orders.map((order) => sql`${order.id}`),
    sql`, `,
  );
  return [
    ...orders.flatMap((order) => orderEventStatements(outbox, 'order.canceled', order, correlationId)),
    ...productEventsStatements(
      outbox,
      'product.updated',
      sql`p.id IN (SELECT product_id FROM order_items WHERE order_id IN (${orderIds}))`,
      correlationId,
    ),
  ];
}

/**
 * Cancels an order and gives its stock back, recording who canceled it and why. The order
 * row is locked first and its status read under that lock, so of two concurrent
 * cancellations (or a cancellation and the reservation sweep) the second sees CANCELED and
 * restores nothing: the stock comes back exactly once, and the first one's reason stays.
 * Stock given back stops at MAX_STOCK_ON_HAND; what did not fit is reported once the
 * cancellation is committed (reportStockClamps), at no extra round trip.
 */
export async function cancelOrder(
  context: OrdersContext,
  orderId: number,
  request: OrderCancel | undefined,
  correlationId: string,
): Promise<Order> {
  const cancellation: Cancellation = { source: request?.source ?? 'CLIENT', reason: request?.reason ?? null };
  // The status the order was canceled from, set by the transaction's last attempt: counted
  // only once that attempt has committed.
  let canceledFrom: OrderStatus | undefined;
  let clamps: StockClamp[] = [];
  const canceled = await transactionWithRetry(context.db, async (tx): Promise<Order> => {
    canceledFrom = undefined;
    clamps = [];
    const locked = await lockOrder(tx, orderId, context.cancelWindowMinutes);
    if (!locked) throw new OrderNotFound(orderId);
    const { order, lockedAt, isWithinCancelWindow } = locked;
    if (order.status === 'CANCELED') return order;
    // A compensation undoes a reservation; an order confirmed meanwhile (a confirmation
    // that landed after the orchestrator gave up on it) is a sale and stays.
    if (order.status === 'CONFIRMED' && cancellation.source === 'ORCHESTRATOR_COMPENSATION') {
      throw new CompensationOfConfirmedOrder(orderId);
    }
    if (order.status === 'CONFIRMED' && !isWithinCancelWindow) {
      throw new CancelWindowExpired(orderId, order.confirmed_at, context.cancelWindowMinutes);
    }
    const canceled = canceledOrder(order, lockedAt, cancellation);
    const [beyondMaximum] = await tx.commitWith([
      stockBeyondMaximumStatement([orderId]),
      restoreStockOfOrdersStatement([orderId]),
      markOrdersCanceledStatement([orderId], lockedAt, cancellation),
      ...cancellationEventStatements(context.outbox, [canceled], correlationId),
    ]);
    canceledFrom = order.status;
    clamps = toStockClamps(beyondMaximum!);
    return canceled;
  });
  if (canceledFrom) {
    context.metrics.orderTransitions.inc({
      from: canceledFrom,
      to: 'CANCELED',
      cancel_source: cancellation.source,
    });
    reportStockClamps(context.logger, context.metrics, clamps, cancellation.source);
  }
  return canceled;
}
