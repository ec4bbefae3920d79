import { JsonText, type BatchedTransaction, type Principal } from '@b2b/service-kit';
import { OrderCanceled, OrderNotFound } from '../errors';
import { withIdempotency, type IdempotentResponse } from '../idempotency/idempotency';
import { lockOrder, markOrderConfirmedStatement, type Order } from './order-repository';
import { idempotencyOptions, type OrdersContext } from './orders';

/**
 * Confirms an order exactly once however often the call is retried: the key's first
 * success is stored and replayed; a new key on a CONFIRMED order answers it unchanged.
 */
export async function confirmOrder(
  context: OrdersContext,
  orderId: number,
  idempotencyKey: { value: string; caller: Principal },
): Promise<IdempotentResponse<Order>> {
  const request = { operation: 'confirmOrder', order_id: orderId };
  // Set by the transaction's last attempt: counted only once that attempt has committed.
  let hasConfirmed = false;
  const response = await withIdempotency(
    context.db,
    idempotencyOptions(context, 'confirm_order', idempotencyKey, request),
    {
      prepare: async () => undefined,
      transaction: async (tx) => {
        const confirmed = await confirmOnce(tx, orderId, context.cancelWindowMinutes);
        hasConfirmed = confirmed.hasConfirmed;
        return { status: 200, body: JsonText.of(confirmed.order), targetId: orderId };
      },
    },
  );
  if (hasConfirmed) context.metrics.orderTransitions.inc({ from: 'CREATED', to: 'CONFIRMED' });
  return response;
}

/** CREATED becomes CONFIRMED; an order already CONFIRMED is returned as it is. */
async function confirmOnce(
  tx: BatchedTransaction,
  orderId: number,
  cancelWindowMinutes: number,
): Promise<{ order: Order; hasConfirmed: boolean }> {
  const locked = await lockOrder(tx, orderId, cancelWindowMinutes);
  if (!locked) throw new OrderNotFound(orderId);
  const { order, lockedAt } = locked;
  if (order.status === 'CANCELED') throw new OrderCanceled(orderId);
  if (order.status === 'CONFIRMED') return { order, hasConfirmed: false };
  await tx.commitWith([markOrderConfirmedStatement(orderId, lockedAt)]);
  const at = lockedAt.toISOString();
  return { order: { ...order, status: 'CONFIRMED', confirmed_at: at, updated_at: at }, hasConfirmed: true };
}
