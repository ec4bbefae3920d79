import { createHash } from 'node:crypto';
import type { operations } from '@b2b/contracts/orchestrator';
import type { OrdersClient, components as OrdersComponents } from '@b2b/contracts/orders';
import { Conflict, type Logger } from '@b2b/service-kit';
import type { RetryPolicy } from './config';
import { OrderCanceled, OrderConfirmationFailed, OrderStateUnknown } from './errors';
import {
  callWithRetries,
  describeFailure,
  orderRejectedError,
  unavailableError,
  type StepDurations,
  type UpstreamCall,
  type UpstreamFailure,
  type UpstreamName,
  type UpstreamStep,
} from './upstream';

type Operation = operations['createAndConfirmOrder'];
export type CreateAndConfirmOrderRequest = Operation['requestBody']['content']['application/json'];
export type CreateAndConfirmOrderResponse = Operation['responses'][201]['content']['application/json'];
export type ConsolidatedOrder = CreateAndConfirmOrderResponse['data'];

type Order = OrdersComponents['schemas']['Order'];

export interface OrchestratorDependencies {
  orders: OrdersClient;
  logger: Logger;
  retry: RetryPolicy;
  upstreamTimeoutMs: number;
  /** This call's own: how long each upstream step took, for its completion log line. */
  stepDurations: StepDurations;
}

/**
 * Idempotency keys of the Orders API calls, derived from the operator's username and their
 * `idempotency_key`. The Orders API keeps the keys the orchestrator sends (with the service
 * token) apart from every operator's own, and the operator in the digest keeps one
 * operator's calls apart from another's: no caller can replay or block another's call. The
 * digest (SHA-256, base64url) keeps the keys within the Orders API's 128 characters whatever
 * the username; 63 characters.
 */
export function idempotencyKeys(operator: string, key: string): { create: string; confirm: string } {
  const digest = createHash('sha256')
    .update(JSON.stringify([operator, key]))
    .digest('base64url');
  return { create: `orchestrator:${digest}:create`, confirm: `orchestrator:${digest}:confirm` };
}

/** A call of the operation, with the operator it came from (the `sub` of their token). */
export interface OrchestratorCall {
  request: CreateAndConfirmOrderRequest;
  operator: string;
}

/** An order the Orders API returned, and whether it was the stored answer to an earlier call. */
interface OrderAnswer {
  order: Order;
  isReplay: boolean;
}

const isReplayed = (response: Response) => response.headers.get('Idempotent-Replayed') === 'true';

/**
 * Create the order, confirm it. The whole call is idempotent: the Orders API replays
 * creation and confirmation for the keys derived from the operator and `idempotency_key`,
 * so repeating the call, even after a crash between two steps, returns the same order and
 * moves stock once (or 409 ORDER_CANCELED once that order has been canceled). A repeated
 * call is answered from that record before anything is validated again: the customer is
 * checked by the Orders API when the order is created (unknown → 404 CUSTOMER_NOT_FOUND),
 * and the answer's customer is the order's snapshot of them, so a customer deleted since
 * does not turn a placed order into a 404. An order that cannot be confirmed is canceled so
 * no stock stays reserved, but never one that was confirmed: when the confirmation goes
 * unanswered, the order is read before deciding.
 */
export async function createAndConfirmOrder(
  call: OrchestratorCall,
  dependencies: OrchestratorDependencies,
): Promise<ConsolidatedOrder> {
  const keys = idempotencyKeys(call.operator, call.request.idempotency_key);
  const created = await createOrder(call.request, keys.create, dependencies);
  const confirmed = await confirmOrCompensate(
    created,
    call.request.idempotency_key,
    keys.confirm,
    dependencies,
  );
  dependencies.logger.info(
    { orderId: confirmed.id, customerId: confirmed.customer.id },
    'order created and confirmed',
  );
  return { customer: confirmed.customer, order: toConfirmedOrder(confirmed) };
}

function upstreamCall(
  upstream: UpstreamName,
  operation: string,
  step: UpstreamStep,
  dependencies: OrchestratorDependencies,
): UpstreamCall {
  return {
    upstream,
    operation,
    step,
    durations: dependencies.stepDurations,
    policy: dependencies.retry,
    timeoutMs: dependencies.upstreamTimeoutMs,
    logger: dependencies.logger,
  };
}

async function createOrder(
  request: CreateAndConfirmOrderRequest,
  idempotencyKey: string,
  dependencies: OrchestratorDependencies,
): Promise<OrderAnswer> {
  const outcome = await callWithRetries(
    () =>
      dependencies.orders.POST('/orders', {
        params: { header: { 'X-Idempotency-Key': idempotencyKey } },
        body: {
          customer_id: request.customer_id,
          items: request.items.map(({ product_id, qty }) => ({ product_id, qty })),
        },
      }),
    upstreamCall('Orders API', 'create order', 'createOrder', dependencies),
  );
  if (!outcome.ok) throw unavailableError(outcome.failure);
  const { data, error, response } = outcome.result;
  if (data) return { order: data, isReplay: isReplayed(response) };
  throw orderRejectedError(
    response.status,
    error && { ...error, detail: detailForCaller(error, request.idempotency_key) },
  );
}

/**
 * The detail to pass on from an Orders API refusal. Its idempotency refusals name the key it
 * was sent, which is derived from the caller's (`idempotencyKeys`): the caller is told about
 * its own `idempotency_key` instead.
 */
function detailForCaller(problem: { code: string; detail: string }, idempotencyKey: string): string {
  switch (problem.code) {
    case 'IDEMPOTENCY_KEY_REUSED':
      return `The idempotency_key ${idempotencyKey} was already used for a different request.`;
    case 'IDEMPOTENCY_KEY_IN_PROGRESS':
      return `A call with the idempotency_key ${idempotencyKey} is still in progress; retry shortly.`;
    default:
      return problem.detail;
  }
}

/**
 * Confirms the order. When the Orders API answers with a refusal (any but "the same key is
 * still in progress"), the order is not confirmed: it is canceled (compensation) and the
 * call fails with ORDER_CONFIRMATION_FAILED. When no answer comes at all (timeouts, resets,
 * 5xx, after the retries), the confirmation may have happened all the same: the order is
 * read before anything is decided.
 */
async function confirmOrCompensate(
  created: OrderAnswer,
  idempotencyKey: string,
  confirmKey: string,
  dependencies: OrchestratorDependencies,
): Promise<Order> {
  const { order } = created;
  const outcome = await callWithRetries(
    () =>
      dependencies.orders.POST('/orders/{id}/confirm', {
        params: { path: { id: order.id }, header: { 'X-Idempotency-Key': confirmKey } },
      }),
    upstreamCall('Orders API', 'confirm order', 'confirmOrder', dependencies),
  );
  if (!outcome.ok) return settleUnansweredConfirmation(order.id, outcome.failure, dependencies);
  const { data, error, response } = outcome.result;
  if (data?.status === 'CONFIRMED') {
    return isReplayed(response) ? settleReplayedConfirmation(data, dependencies) : data;
  }
  // Canceling under a confirmation that is still running would race it: the caller retries.
  if (error?.code === 'IDEMPOTENCY_KEY_IN_PROGRESS') {
    throw new Conflict('IDEMPOTENCY_KEY_IN_PROGRESS', detailForCaller(error, idempotencyKey));
  }
  // The replayed creation is the answer stored when the order was new; an order of an
  // earlier call that can no longer be confirmed was canceled since: nothing to compensate.
  if (created.isReplay && error?.code === 'INVALID_ORDER_STATUS') throw new OrderCanceled(order.id);
  return compensate(order.id, describeAnswer(outcome.result), dependencies);
}

/**
 * No answer to the confirmation: it may have been done and the answer lost on the way
 * back. Canceling blind would undo a confirmed order, so a fresh read decides: CONFIRMED is
 * answered as if the confirmation had answered, CREATED is compensated.
 */
function settleUnansweredConfirmation(
  orderId: number,
  failure: UpstreamFailure,
  dependencies: OrchestratorDependencies,
): Promise<Order> {
  const unanswered = describeFailure(failure);
  dependencies.logger.warn(
    { orderId, reason: unanswered },
    'confirmation unanswered; reading the order before compensating',
  );
  return settleFromOrderState(orderId, `its confirmation went unanswered (${unanswered})`, dependencies, () =>
    compensate(orderId, unanswered, dependencies),
  );
}

/**
 * A replayed confirmation is the answer stored when the key was first used, so it says
 * CONFIRMED even if an operator has canceled the order since (within the cancel window).
 * Only a fresh read tells; the normal path, without a replay, does not pay for it.
 */
async function settleReplayedConfirmation(
  replayed: Order,
  dependencies: OrchestratorDependencies,
): Promise<Order> {
  await settleFromOrderState(replayed.id, 'its confirmation was replayed', dependencies);
  // Still confirmed: the answer is the stored one, as on the call that first used the key.
  return replayed;
}

type OrderRead = { ok: true; order: Order } | { ok: false; reason: string };

/** A fresh read of the order (service token, retried like every call), or why there is none. */
async function readOrder(orderId: number, dependencies: OrchestratorDependencies): Promise<OrderRead> {
  const outcome = await callWithRetries(
    () => dependencies.orders.GET('/orders/{id}', { params: { path: { id: orderId } } }),
    upstreamCall('Orders API', 'order lookup', 'orderLookup', dependencies),
  );
  if (!outcome.ok) return { ok: false, reason: describeFailure(outcome.failure) };
  const { data } = outcome.result;
  return data ? { ok: true, order: data } : { ok: false, reason: describeAnswer(outcome.result) };
}

/**
 * Settles the call from the order's state when the call's own answers cannot tell (see
 * docs/architecture.md): CONFIRMED is the answer, CANCELED is 409 ORDER_CANCELED, CREATED is for
 * `ifCreated` to decide. An order that cannot be read is left as it is (502
 * ORDER_STATE_UNKNOWN): the next call with the same key settles it.
 */
async function settleFromOrderState(
  orderId: number,
  situation: string,
  dependencies: OrchestratorDependencies,
  ifCreated: () => Promise<Order> = async () => {
    throw new OrderStateUnknown(orderId, `${situation}, yet the order is still CREATED`);
  },
): Promise<Order> {
  const { logger } = dependencies;
  const state = await readOrder(orderId, dependencies);
  if (!state.ok) {
    logger.error({ orderId, reason: state.reason }, 'order state unknown; leaving the order as it is');
    throw new OrderStateUnknown(orderId, `${situation}, and reading the order failed (${state.reason})`);
  }
  const { order } = state;
  switch (order.status) {
    case 'CONFIRMED':
      logger.info({ orderId }, 'order found CONFIRMED; answering it as confirmed');
      return order;
    case 'CANCELED':
      logger.warn({ orderId }, 'order found CANCELED; answering ORDER_CANCELED');
      throw new OrderCanceled(orderId);
    case 'CREATED':
      logger.info({ orderId }, 'order found CREATED');
      return ifCreated();
  }
}

/** Longest `reason` the Orders API stores with a cancellation (contracts/orders.yaml, CancelReason). */
const MAX_CANCEL_REASON_LENGTH = 500;

/**
 * Cancels an order that could not be confirmed, so no stock stays reserved, and fails with
 * ORDER_CONFIRMATION_FAILED saying whether that worked. The cancel says it is a
 * compensation, which the Orders API refuses (409) on a CONFIRMED order: a confirmation
 * that got through meanwhile is never undone, and that order is the answer after all.
 */
async function compensate(
  orderId: number,
  confirmationFailure: string,
  dependencies: OrchestratorDependencies,
): Promise<Order> {
  const { logger } = dependencies;
  logger.warn({ orderId, reason: confirmationFailure }, 'order not confirmed; canceling it (compensation)');
  const reason = `The orchestrator could not confirm the order (${confirmationFailure}) and canceled it to release its stock.`;
  const outcome = await callWithRetries(
    () =>
      dependencies.orders.POST('/orders/{id}/cancel', {
        params: { path: { id: orderId } },
        body: { source: 'ORCHESTRATOR_COMPENSATION', reason: reason.slice(0, MAX_CANCEL_REASON_LENGTH) },
      }),
    upstreamCall('Orders API', 'cancel order', 'cancelOrder', dependencies),
  );
  const failed = `Order ${orderId} was created but could not be confirmed (${confirmationFailure})`;
  if (outcome.ok && outcome.result.data?.status === 'CANCELED') {
    logger.info({ orderId }, 'unconfirmed order canceled');
    throw new OrderConfirmationFailed(`${failed}; it was canceled and its stock restored.`);
  }
  if (outcome.ok && outcome.result.response.status === 409) {
    const refusal = describeAnswer(outcome.result);
    logger.warn({ orderId, reason: refusal }, 'compensation refused: the order was confirmed meanwhile');
    return settleFromOrderState(
      orderId,
      `canceling it as a compensation was refused (${refusal})`,
      dependencies,
    );
  }
  const cancelFailure = outcome.ok ? describeAnswer(outcome.result) : describeFailure(outcome.failure);
  logger.error({ orderId, reason: cancelFailure }, 'the unconfirmed order could not be canceled');
  throw new OrderConfirmationFailed(
    `${failed}, and canceling it failed too (${cancelFailure}): it may still hold its stock.`,
  );
}

function describeAnswer(result: { data?: Order; error?: { code: string }; response: Response }): string {
  const what = result.data
    ? `an order in status ${result.data.status}`
    : (result.error?.code ?? 'no problem code');
  return `the Orders API answered ${result.response.status} with ${what}`;
}

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
