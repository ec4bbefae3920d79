import type { paths } from '@b2b/contracts/customers';
import { causalReads, type ApiHandlers, type CursorKey, type Database, type Outbox } from '@b2b/service-kit';
import { createCustomer, deleteCustomer, getCustomer, listCustomers, replaceCustomer } from './customers';

type CustomerPaths = '/customers' | '/customers/{id}' | '/internal/customers/{id}';

export function customerHandlers(
  db: Database,
  cursorKey: CursorKey,
  outbox: Outbox | undefined,
): Pick<ApiHandlers<paths>, CustomerPaths> {
  return {
    '/customers': {
      post: async ({ body, correlationId }) => {
        const customer = await createCustomer(db, body, { outbox, correlationId });
        return { status: 201, body: customer, headers: { Location: `/customers/${customer.id}` } };
      },
      get: async ({ query }) => ({ status: 200, body: await listCustomers(db, query, cursorKey) }),
    },
    '/customers/{id}': {
      get: async ({ params }) => ({ status: 200, body: await getCustomer(db, params.id) }),
      put: async ({ params, body, correlationId }) => ({
        status: 200,
        body: await replaceCustomer(db, params.id, body, { outbox, correlationId }),
      }),
      delete: async ({ params, correlationId }) => {
        await deleteCustomer(db, params.id, { outbox, correlationId });
        return { status: 204 };
      },
    },
    '/internal/customers/{id}': {
      // The Orders API asks for a customer an operator may have created a moment ago, through
      // another replica on another node of a cluster: a causal read.
      get: async ({ params }) => ({ status: 200, body: await getCustomer(causalReads(db), params.id) }),
    },
  };
}
