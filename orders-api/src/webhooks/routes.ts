import type { paths } from '@b2b/contracts/orders';
import type { ApiHandlers } from '@b2b/service-kit';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  retryWebhookDelivery,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpointsContext,
} from './endpoints';

type WebhookPaths =
  | '/webhook-endpoints'
  | '/webhook-endpoints/{id}'
  | '/webhook-endpoints/{id}/rotate-secret'
  | '/webhook-endpoints/{id}/deliveries'
  | '/webhook-endpoints/{id}/deliveries/{delivery_id}/retry';

export function webhookHandlers(context: WebhookEndpointsContext): Pick<ApiHandlers<paths>, WebhookPaths> {
  return {
    '/webhook-endpoints': {
      post: async ({ body }) => {
        const endpoint = await createWebhookEndpoint(context, body);
        return {
          status: 201,
          body: endpoint,
          headers: { Location: `/webhook-endpoints/${endpoint.id}` },
        };
      },
      get: async ({ query }) => ({
        status: 200,
        body: await listWebhookEndpoints(context.db, query, context.cursorKey),
      }),
    },
    '/webhook-endpoints/{id}': {
      get: async ({ params }) => ({ status: 200, body: await getWebhookEndpoint(context.db, params.id) }),
      patch: async ({ params, body }) => ({
        status: 200,
        body: await updateWebhookEndpoint(context, params.id, body),
      }),
      delete: async ({ params }) => {
        await deleteWebhookEndpoint(context.db, params.id);
        return { status: 204 };
      },
    },
    '/webhook-endpoints/{id}/rotate-secret': {
      post: async ({ params }) => ({ status: 200, body: await rotateWebhookSecret(context, params.id) }),
    },
    '/webhook-endpoints/{id}/deliveries': {
      get: async ({ params, query }) => ({
        status: 200,
        body: await listWebhookDeliveries(context.db, params.id, query, context.cursorKey),
      }),
    },
    '/webhook-endpoints/{id}/deliveries/{delivery_id}/retry': {
      post: async ({ params }) => ({
        status: 202,
        body: await retryWebhookDelivery(context.db, params.id, params.delivery_id),
      }),
    },
  };
}
