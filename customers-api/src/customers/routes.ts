import { Router } from 'express';
import type { Database, JsonRequestBody } from '@b2b/service-kit';
import type { operations } from '../../../generated/customers';
import { createCustomer, deleteCustomer, getCustomer, listCustomers, replaceCustomer } from './customers';

type ListCustomersQuery = NonNullable<operations['listCustomers']['parameters']['query']>;

// The contract validator has checked every id, query and body before a handler runs;
// under Express 5 query values still arrive as strings, hence the Number() calls.
export function customerRoutes(db: Database): Router {
  const router = Router();

  router.post('/customers', async (request, response) => {
    const body = request.body as JsonRequestBody<operations['createCustomer']>;
    const customer = await createCustomer(db, body);
    response.status(201).location(`/customers/${customer.id}`).json(customer);
  });

  router.get('/customers', async (request, response) => {
    const query = request.query as ListCustomersQuery;
    const page = await listCustomers(db, {
      search: query.search,
      cursor: query.cursor,
      limit: query.limit === undefined ? undefined : Number(query.limit),
    });
    response.json(page);
  });

  router.get('/customers/:id', async (request, response) => {
    response.json(await getCustomer(db, Number(request.params.id)));
  });

  router.put('/customers/:id', async (request, response) => {
    const body = request.body as JsonRequestBody<operations['replaceCustomer']>;
    response.json(await replaceCustomer(db, Number(request.params.id), body));
  });

  router.delete('/customers/:id', async (request, response) => {
    await deleteCustomer(db, Number(request.params.id));
    response.status(204).end();
  });

  router.get('/internal/customers/:id', async (request, response) => {
    response.json(await getCustomer(db, Number(request.params.id)));
  });

  return router;
}
