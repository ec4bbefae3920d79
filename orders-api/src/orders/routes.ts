import type { paths } from '@b2b/contracts/orders';
import { causalReads, type ApiHandlers, type Principal } from '@b2b/service-kit';
import type { IdempotentResponse } from '../idempotency/idempotency';
import { cancelOrder } from './cancel-order';
import { confirmOrder } from './confirm-order';
import type { Order } from './order-repository';
import { createOrder, getOrder, listOrders, type OrdersContext } from './orders';

type OrderPaths = '/orders' | '/orders/{id}' | '/orders/{id}/confirm' | '/orders/{id}/cancel';

/** A replay says so (`Idempotent-Replayed: true`) and is the first response byte for byte. */
function replayHeaders(response: IdempotentResponse<Order>): Record<string, string> {
  return response.isReplay ? { 'Idempotent-Replayed': 'true' } : {};
}

/** The caller of an operation the contract secures (every operation here): its security ran first. */
function securedCaller(caller: Principal | undefined): Principal {
  if (!caller) throw new Error('A secured operation was reached without an authenticated caller');
  return caller;
}

export function orderHandlers(context: OrdersContext): Pick<ApiHandlers<paths>, OrderPaths> {
  return {
    '/orders': {
      post: async ({ body, headers, correlationId, caller }) => {
        const idempotencyKey = headers['X-Idempotency-Key'];
        const created = await createOrder(context, body, {
          idempotencyKey,
          caller: securedCaller(caller),
          correlationId,
        });
        return {
          status: 201,
          body: created.body,
          headers: { Location: `/orders/${created.targetId}`, ...replayHeaders(created) },
        };
      },
      get: async ({ query }) => ({
        status: 200,
        body: await listOrders(context.db, query, context.cursorKey),
      }),
    },
    '/orders/{id}': {
      // The orchestrator reads an order to settle a call that another replica, on another
      // node of a cluster, may have just confirmed: a causal read.
      get: async ({ params }) => ({ status: 200, body: await getOrder(causalReads(context.db), params.id) }),
    },
    '/orders/{id}/confirm': {
      post: async ({ params, headers, caller, correlationId }) => {
        const confirmed = await confirmOrder(
          context,
          params.id,
          { value: headers['X-Idempotency-Key'], caller: securedCaller(caller) },
          correlationId,
        );
        return { status: 200, body: confirmed.body, headers: replayHeaders(confirmed) };
      },
    },
    '/orders/{id}/cancel': {
      // The body is optional: a request without one reaches here with `body` undefined.
      post: async ({ params, body, correlationId }) => ({
        status: 200,
        body: await cancelOrder(context, params.id, body, correlationId),
      }),
    },
  };
}
