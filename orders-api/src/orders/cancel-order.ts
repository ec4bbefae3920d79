import { transactionWithRetry } from '@b2b/service-kit';
import { CancelWindowExpired, OrderNotFound } from '../errors';
import { restoreStockOfOrder } from '../products/product-repository';
import { lockOrder, markOrderCanceled, type Order } from './order-repository';
import { getOrder, type OrdersContext } from './orders';

/**
 * Cancels an order and gives its stock back. The order row is locked first and its status
 * read under that lock, so of two concurrent cancellations the second sees CANCELED and
 * restores nothing: the stock comes back exactly once.
 */
export async function cancelOrder(context: OrdersContext, orderId: number): Promise<Order> {
  return transactionWithRetry(context.db, async (tx) => {
    const order = await lockOrder(tx, orderId, context.cancelWindowMinutes);
    if (!order) throw new OrderNotFound(orderId);
    if (order.status === 'CONFIRMED' && !order.isWithinCancelWindow) {
      throw new CancelWindowExpired(orderId, order.confirmedAt, context.cancelWindowMinutes);
    }
    if (order.status !== 'CANCELED') {
      await restoreStockOfOrder(tx, orderId);
      await markOrderCanceled(tx, orderId);
    }
    return getOrder(tx, orderId);
  });
}
