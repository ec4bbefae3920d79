import { transactionWithRetry } from '@b2b/service-kit';
import { CancelWindowExpired, OrderNotFound } from '../errors';
import { restoreStockOfOrder } from '../products/product-repository';
import { lockOrder, markOrderCanceled, type Order } from './order-repository';
import type { OrdersContext } from './orders';

/**
 * Cancels an order and gives its stock back. The order row is locked first and its status
 * read under that lock, so of two concurrent cancellations the second sees CANCELED and
 * restores nothing: the stock comes back exactly once.
 */
export async function cancelOrder(context: OrdersContext, orderId: number): Promise<Order> {
  return transactionWithRetry(context.db, async (tx) => {
    const locked = await lockOrder(tx, orderId, context.cancelWindowMinutes);
    if (!locked) throw new OrderNotFound(orderId);
    const { order, lockedAt, isWithinCancelWindow } = locked;
    if (order.status === 'CANCELED') return order;
    if (order.status === 'CONFIRMED' && !isWithinCancelWindow) {
      throw new CancelWindowExpired(orderId, order.confirmed_at, context.cancelWindowMinutes);
    }
    await restoreStockOfOrder(tx, orderId);
    await markOrderCanceled(tx, orderId, lockedAt);
    const at = lockedAt.toISOString();
    return { ...order, status: 'CANCELED', canceled_at: at, updated_at: at };
  });
}
