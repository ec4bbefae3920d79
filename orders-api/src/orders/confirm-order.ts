import { Conflict, transactionWithRetry, type Queryable } from '@b2b/service-kit';
import { claimOrReplay, idempotentRequest, type JsonTextResponse } from '../idempotency/idempotency';
import { completeIdempotencyKey, insertIdempotencyKey } from '../idempotency/idempotency-repository';
import { lockOrder, markOrderConfirmed, type Order } from './order-repository';
import { getOrder, orderNotFound, type OrdersContext } from './orders';

/**
 * Confirms an order exactly once however often the call is retried. The key is claimed
 * by inserting its row as the FIRST statement of the transaction that changes the status
 * and stores the response: a concurrent request with the same key waits on the unique
 * index until that transaction ends, then finds the stored response (or, if it failed,
 * a free key). A failed confirmation rolls its claim back with everything else.
 */
export async function confirmOrder(
  context: OrdersContext,
  orderId: number,
  idempotencyKey: string,
): Promise<JsonTextResponse> {
  const request = idempotentRequest('confirm_order', idempotencyKey, {
    operation: 'confirmOrder',
    order_id: orderId,
  });
  const claim = await claimOrReplay(context.db, request, () =>
    transactionWithRetry(context.db, async (tx) => {
      await insertIdempotencyKey(tx, {
        ...request,
        targetType: 'order',
        ttlHours: context.idempotencyKeyTtlHours,
      });
      const body = JSON.stringify(await confirmOnce(tx, orderId, context.cancelWindowMinutes));
      await completeIdempotencyKey(tx, request, { targetId: orderId, status: 200, body });
      return { status: 200, body, targetId: orderId, isReplay: false };
    }),
  );
  return claim.kind === 'replay' ? claim.response : claim.result;
}

/** CREATED becomes CONFIRMED; an order already CONFIRMED is returned as it is. */
async function confirmOnce(tx: Queryable, orderId: number, cancelWindowMinutes: number): Promise<Order> {
  const order = await lockOrder(tx, orderId, cancelWindowMinutes);
  if (!order) throw orderNotFound(orderId);
  if (order.status === 'CANCELED') {
    throw new Conflict('INVALID_ORDER_STATUS', `Order ${orderId} is CANCELED and cannot be confirmed.`);
  }
  if (order.status === 'CREATED') await markOrderConfirmed(tx, orderId);
  return getOrder(tx, orderId);
}
