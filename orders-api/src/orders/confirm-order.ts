import { JsonText, type BatchedTransaction, type EventContext, type Principal } from '@b2b/service-kit';
import { OrderCanceled, OrderNotFound } from '../errors';
import { orderEventStatements } from '../events';
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
  correlationId: string,
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
        const confirmed = await confirmOnce(tx, orderId, context.cancelWindowMinutes, {
          outbox: context.outbox,
          correlationId,
        });
        hasConfirmed = confirmed.hasConfirmed;
        return { status: 200, body: JsonText.of(confirmed.order), targetId: orderId };
      },
    },
  );
  if (hasConfirmed) context.metrics.orderTransitions.inc({ from: 'CREATED', to: 'CONFIRMED' });
  return response;
}

/** CREATED becomes CONFIRMED, with its order.confirmed event; an order already CONFIRMED is returned as it is. */
async function confirmOnce(
  tx: BatchedTransaction,
  orderId: number,
  cancelWindowMinutes: number,
  events: EventContext,
): Promise<{ order: Order; hasConfirmed: boolean }> {
  const locked = await lockOrder(tx, orderId, cancelWindowMinutes);
  if (!locked) throw new OrderNotFound(orderId);
  const { order, lockedAt } = locked;
  if (order.status === 'CANCELED') throw new OrderCanceled(orderId);
  if (order.status === 'CONFIRMED') return { order, hasConfirmed: false };
  const at = lockedAt.toISOString();
  const confirmed: Order = { ...order, status: 'CONFIRMED', confirmed_at: at, updated_at: at };
  await tx.commitWith([
    markOrderConfirmedStatement(orderId, lockedAt),
    ...orderEventStatements(events.outbox, 'order.confirmed', confirmed, events.correlationId),
  ]);
  return { order: confirmed, hasConfirmed: true };
}
