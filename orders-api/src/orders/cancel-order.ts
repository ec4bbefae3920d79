import type { components } from '@b2b/contracts/orders';
import { transactionWithRetry } from '@b2b/service-kit';
import { CancelWindowExpired, CompensationOfConfirmedOrder, OrderNotFound } from '../errors';
import { restoreStockOfOrdersStatement } from '../products/product-repository';
import {
  lockOrder,
  markOrdersCanceledStatement,
  type Cancellation,
  type Order,
  type OrderStatus,
} from './order-repository';
import type { OrdersContext } from './orders';

/** The optional body of POST /orders/{id}/cancel. */
export type OrderCancel = components['schemas']['OrderCancel'];

/**
 * Cancels an order and gives its stock back, recording who canceled it and why. The order
 * row is locked first and its status read under that lock, so of two concurrent
 * cancellations (or a cancellation and the reservation sweep) the second sees CANCELED and
 * restores nothing: the stock comes back exactly once, and the first one's reason stays.
 */
export async function cancelOrder(
  context: OrdersContext,
  orderId: number,
  request: OrderCancel = {},
): Promise<Order> {
  const cancellation: Cancellation = { source: request.source ?? 'CLIENT', reason: request.reason ?? null };
  // The status the order was canceled from, set by the transaction's last attempt: counted
  // only once that attempt has committed.
  let canceledFrom: OrderStatus | undefined;
  const canceled = await transactionWithRetry(context.db, async (tx): Promise<Order> => {
    canceledFrom = undefined;
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
    await tx.commitWith([
      restoreStockOfOrdersStatement([orderId]),
      markOrdersCanceledStatement([orderId], lockedAt, cancellation),
    ]);
    canceledFrom = order.status;
    const at = lockedAt.toISOString();
    return {
      ...order,
      status: 'CANCELED',
      canceled_at: at,
      updated_at: at,
      cancel_source: cancellation.source,
      cancel_reason: cancellation.reason,
    };
  });
  if (canceledFrom) {
    context.metrics.orderTransitions.inc({
      from: canceledFrom,
      to: 'CANCELED',
      cancel_source: cancellation.source,
    });
  }
  return canceled;
}
