import { Conflict, transactionWithRetry } from '@b2b/service-kit';
import { restoreStockOfOrder } from '../products/product-repository';
import { lockOrder, markOrderCanceled, type Order } from './order-repository';
import { getOrder, orderNotFound, type OrdersContext } from './orders';

/**
 * Cancels an order and gives its stock back. The order row is locked first and its status
 * read under that lock, so of two concurrent cancellations the second sees CANCELED and
 * restores nothing: the stock comes back exactly once.
 */
export async function cancelOrder(context: OrdersContext, orderId: number): Promise<Order> {
  return transactionWithRetry(context.db, async (tx) => {
    const order = await lockOrder(tx, orderId, context.cancelWindowMinutes);
    if (!order) throw orderNotFound(orderId);
    if (order.status === 'CONFIRMED' && !order.isWithinCancelWindow) {
      throw new Conflict(
        'CANCEL_WINDOW_EXPIRED',
        `Order ${orderId} was confirmed at ${order.confirmedAt?.toISOString()}; ` +
          `confirmed orders can be canceled for ${context.cancelWindowMinutes} minutes only.`,
      );
    }
    if (order.status !== 'CANCELED') {
      await restoreStockOfOrder(tx, orderId);
      await markOrderCanceled(tx, orderId);
    }
    return getOrder(tx, orderId);
  });
}
