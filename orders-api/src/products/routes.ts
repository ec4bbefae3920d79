import { Router } from 'express';
import type { Database, JsonRequestBody } from '@b2b/service-kit';
import type { operations } from '../../../generated/orders';
import { createProduct, getProduct, listProducts, updateProduct } from './products';

type ListProductsQuery = NonNullable<operations['listProducts']['parameters']['query']>;

export function productRoutes(db: Database): Router {
  const router = Router();

  router.post('/products', async (request, response) => {
    const body = request.body as JsonRequestBody<operations['createProduct']>;
    const product = await createProduct(db, body);
    response.status(201).location(`/products/${product.id}`).json(product);
  });

  router.get('/products', async (request, response) => {
    const query = request.query as ListProductsQuery;
    const page = await listProducts(db, {
      search: query.search,
      cursor: query.cursor,
      limit: query.limit === undefined ? undefined : Number(query.limit),
    });
    response.json(page);
  });

  router.get('/products/:id', async (request, response) => {
    response.json(await getProduct(db, Number(request.params.id)));
  });

  router.patch('/products/:id', async (request, response) => {
    const body = request.body as JsonRequestBody<operations['updateProduct']>;
    response.json(await updateProduct(db, Number(request.params.id), body));
  });

  return router;
}
