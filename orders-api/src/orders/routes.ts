import { Router, type Response } from 'express';
import type { JsonRequestBody } from '@b2b/service-kit';
import type { operations } from '../../../generated/orders';
import type { JsonTextResponse } from '../idempotency/idempotency';
import { cancelOrder } from './cancel-order';
import { confirmOrder } from './confirm-order';
import { createOrder, getOrder, listOrders, type OrdersContext } from './orders';

type ListOrdersQuery = NonNullable<operations['listOrders']['parameters']['query']>;

/**
 * Sends the exact text that is (or was) stored with the idempotency key, so a replay is
 * byte for byte the first response.
 */
function sendJsonText(response: Response, result: JsonTextResponse): void {
  if (result.isReplay) response.set('Idempotent-Replayed', 'true');
  response.status(result.status).type('application/json').send(result.body);
}

export function orderRoutes(context: OrdersContext): Router {
  const router = Router();

  router.post('/orders', async (request, response) => {
    const body = request.body as JsonRequestBody<operations['createOrder']>;
    const result = await createOrder(context, body, request.get('X-Idempotency-Key'));
    response.location(`/orders/${result.targetId}`);
    sendJsonText(response, result);
  });

  router.get('/orders', async (request, response) => {
    const query = request.query as ListOrdersQuery;
    const page = await listOrders(context.db, {
      status: query.status,
      from: query.from,
      to: query.to,
      cursor: query.cursor,
      limit: query.limit === undefined ? undefined : Number(query.limit),
    });
    response.json(page);
  });

  router.get('/orders/:id', async (request, response) => {
    response.json(await getOrder(context.db, Number(request.params.id)));
  });

  router.post('/orders/:id/confirm', async (request, response) => {
    // The contract makes the header required: the validator has rejected requests without it.
    const idempotencyKey = request.get('X-Idempotency-Key') as string;
    sendJsonText(response, await confirmOrder(context, Number(request.params.id), idempotencyKey));
  });

  router.post('/orders/:id/cancel', async (request, response) => {
    response.json(await cancelOrder(context, Number(request.params.id)));
  });

  return router;
}
