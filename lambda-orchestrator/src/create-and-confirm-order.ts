import type { CustomersClient, components as CustomersComponents } from '@b2b/contracts/customers';
import type { operations } from '@b2b/contracts/orchestrator';
import type { OrdersClient, components as OrdersComponents } from '@b2b/contracts/orders';
import { Conflict, type Logger } from '@b2b/service-kit';
import type { RetryPolicy } from './config';
import { CustomerNotFound, OrderCanceled, OrderConfirmationFailed } from './errors';
import {
  callWithRetries,
  describeFailure,
  orderRejectedError,
  unavailableError,
  unexpectedAnswerError,
  type UpstreamCall,
  type UpstreamName,
} from './upstream';

type Operation = operations['createAndConfirmOrder'];
export type CreateAndConfirmOrderRequest = Operation['requestBody']['content']['application/json'];
export type CreateAndConfirmOrderResponse = Operation['responses'][201]['content']['application/json'];
export type ConsolidatedOrder = CreateAndConfirmOrderResponse['data'];

type Customer = CustomersComponents['schemas']['Customer'];
type Order = OrdersComponents['schemas']['Order'];

export interface OrchestratorDependencies {
  customers: CustomersClient;
  orders: OrdersClient;
  logger: Logger;
  retry: RetryPolicy;
  upstreamTimeoutMs: number;
}

/**
 * Idempotency keys of the Orders API calls, derived from the caller's key (see README). The
 * prefix keeps them apart from keys that clients send to the Orders API directly; at most
 * 100 + 20 characters, within the Orders API's 128.
 */
export const idempotencyKeys = (key: string) => ({
  create: `orchestrator:${key}:create`,
  confirm: `orchestrator:${key}:confirm`,
});

/** An order the Orders API returned, and whether it was the stored answer to an earlier call. */
interface OrderAnswer {
  order: Order;
  isReplay: boolean;
}

const isReplayed = (response: Response) => response.headers.get('Idempotent-Replayed') === 'true';

/**
 * Validate the customer, create the order, confirm it. The whole call is idempotent: the
 * Orders API replays creation and confirmation for the keys derived from `idempotency_key`,
 * so repeating the call, even after a crash between two steps, returns the same order and
 * moves stock once (or 409 ORDER_CANCELED once that order has been canceled). An order that
 * cannot be confirmed is canceled so no stock stays reserved.
 */
export async function createAndConfirmOrder(
  request: CreateAndConfirmOrderRequest,
  dependencies: OrchestratorDependencies,
): Promise<ConsolidatedOrder> {
  const customer = await findCustomer(request.customer_id, dependencies);
  const created = await createOrder(request, dependencies);
  const confirmed = await confirmOrCompensate(created, request.idempotency_key, dependencies);
  dependencies.logger.info({ orderId: confirmed.id, customerId: customer.id }, 'order created and confirmed');
  return { customer: toOrchestratedCustomer(customer), order: toConfirmedOrder(confirmed) };
}

function upstreamCall(
  upstream: UpstreamName,
  operation: string,
  dependencies: OrchestratorDependencies,
): UpstreamCall {
  return {
    upstream,
    operation,
    policy: dependencies.retry,
    timeoutMs: dependencies.upstreamTimeoutMs,
    logger: dependencies.logger,
  };
}

async function findCustomer(customerId: number, dependencies: OrchestratorDependencies): Promise<Customer> {
  const outcome = await callWithRetries(
    () => dependencies.customers.GET('/internal/customers/{id}', { params: { path: { id: customerId } } }),
    upstreamCall('Customers API', 'customer lookup', dependencies),
  );
  if (!outcome.ok) throw unavailableError(outcome.failure);
  const { data, response } = outcome.result;
  if (data) return data;
  if (response.status === 404) throw new CustomerNotFound(customerId);
  throw unexpectedAnswerError('Customers API', 'the customer lookup', response.status);
}

async function createOrder(
  request: CreateAndConfirmOrderRequest,
  dependencies: OrchestratorDependencies,
): Promise<OrderAnswer> {
  const outcome = await callWithRetries(
    () =>
      dependencies.orders.POST('/orders', {
        params: { header: { 'X-Idempotency-Key': idempotencyKeys(request.idempotency_key).create } },
        body: {
          customer_id: request.customer_id,
          items: request.items.map(({ product_id, qty }) => ({ product_id, qty })),
        },
      }),
    upstreamCall('Orders API', 'create order', dependencies),
  );
  if (!outcome.ok) throw unavailableError(outcome.failure);
  const { data, error, response } = outcome.result;
  if (data) return { order: data, isReplay: isReplayed(response) };
  throw orderRejectedError(response.status, error);
}

/**
 * Confirms the order; if that fails for good, cancels it (compensation) and fails with
 * ORDER_CONFIRMATION_FAILED. The one refusal that is not "for good" is a confirmation with
 * the same key still running: canceling under it would race the confirmation.
 */
async function confirmOrCompensate(
  created: OrderAnswer,
  idempotencyKey: string,
  dependencies: OrchestratorDependencies,
): Promise<Order> {
  const { order } = created;
  const outcome = await callWithRetries(
    () =>
      dependencies.orders.POST('/orders/{id}/confirm', {
        params: {
          path: { id: order.id },
          header: { 'X-Idempotency-Key': idempotencyKeys(idempotencyKey).confirm },
        },
      }),
    upstreamCall('Orders API', 'confirm order', dependencies),
  );
  if (outcome.ok && outcome.result.data?.status === 'CONFIRMED') {
    const { data, response } = outcome.result;
    if (isReplayed(response)) await assertStillConfirmed(data.id, dependencies);
    return data;
  }
  if (outcome.ok && outcome.result.error?.code === 'IDEMPOTENCY_KEY_IN_PROGRESS') {
    throw new Conflict('IDEMPOTENCY_KEY_IN_PROGRESS', outcome.result.error.detail);
  }
  // The replayed creation is the answer stored when the order was new; an order of an
  // earlier call that can no longer be confirmed was canceled since: nothing to compensate.
  if (created.isReplay && outcome.ok && outcome.result.error?.code === 'INVALID_ORDER_STATUS') {
    throw new OrderCanceled(order.id);
  }
  const reason = outcome.ok ? describeAnswer(outcome.result) : describeFailure(outcome.failure);
  throw await cancelUnconfirmedOrder(order.id, reason, dependencies);
}

/**
 * A replayed confirmation is the answer stored when the key was first used, so it says
 * CONFIRMED even if the order was canceled since (by an operator, or by our compensation
 * after a confirmation whose answer was lost). Only a fresh read tells; the normal path,
 * without a replay, does not pay for it.
 */
async function assertStillConfirmed(orderId: number, dependencies: OrchestratorDependencies): Promise<void> {
  const outcome = await callWithRetries(
    () => dependencies.orders.GET('/orders/{id}', { params: { path: { id: orderId } } }),
    upstreamCall('Orders API', 'order lookup', dependencies),
  );
  if (!outcome.ok) throw unavailableError(outcome.failure);
  const { data, response } = outcome.result;
  if (data?.status === 'CONFIRMED') return;
  if (data) throw new OrderCanceled(orderId);
  throw unexpectedAnswerError('Orders API', 'the order lookup', response.status);
}

async function cancelUnconfirmedOrder(
  orderId: number,
  confirmationFailure: string,
  dependencies: OrchestratorDependencies,
): Promise<OrderConfirmationFailed> {
  const { logger } = dependencies;
  logger.warn({ orderId, reason: confirmationFailure }, 'confirmation failed for good; canceling the order');
  const outcome = await callWithRetries(
    () => dependencies.orders.POST('/orders/{id}/cancel', { params: { path: { id: orderId } } }),
    upstreamCall('Orders API', 'cancel order', dependencies),
  );
  const failed = `Order ${orderId} was created but could not be confirmed (${confirmationFailure})`;
  if (outcome.ok && outcome.result.data?.status === 'CANCELED') {
    logger.info({ orderId }, 'unconfirmed order canceled');
    return new OrderConfirmationFailed(`${failed}; it was canceled and its stock restored.`);
  }
  const cancelFailure = outcome.ok ? describeAnswer(outcome.result) : describeFailure(outcome.failure);
  logger.error({ orderId, reason: cancelFailure }, 'the unconfirmed order could not be canceled');
  return new OrderConfirmationFailed(
    `${failed}, and canceling it failed too (${cancelFailure}): it may still hold its stock.`,
  );
}

function describeAnswer(result: { data?: Order; error?: { code: string }; response: Response }): string {
  const what = result.data
    ? `an order in status ${result.data.status}`
    : (result.error?.code ?? 'no problem code');
  return `the Orders API answered ${result.response.status} with ${what}`;
}

const toOrchestratedCustomer = ({ id, name, email, phone }: Customer): ConsolidatedOrder['customer'] => ({
  id,
  name,
  email,
  phone,
});

function toConfirmedOrder(order: Order): ConsolidatedOrder['order'] {
  return {
    id: order.id,
    status: 'CONFIRMED',
    total_cents: order.total_cents,
    items: order.items.map(({ product_id, qty, unit_price_cents, subtotal_cents }) => ({
      product_id,
      qty,
      unit_price_cents,
      subtotal_cents,
    })),
  };
}
