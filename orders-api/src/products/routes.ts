import type { paths } from '@b2b/contracts/orders';
import type { ApiHandlers, CursorKey, Database, Outbox } from '@b2b/service-kit';
import { createProduct, getProduct, listProducts, updateProduct } from './products';

export function productHandlers(
  db: Database,
  cursorKey: CursorKey,
  outbox: Outbox | undefined,
): Pick<ApiHandlers<paths>, '/products' | '/products/{id}'> {
  return {
    '/products': {
      post: async ({ body, correlationId }) => {
        const product = await createProduct(db, body, { outbox, correlationId });
        return { status: 201, body: product, headers: { Location: `/products/${product.id}` } };
      },
      get: async ({ query }) => ({ status: 200, body: await listProducts(db, query, cursorKey) }),
    },
    '/products/{id}': {
      get: async ({ params }) => ({ status: 200, body: await getProduct(db, params.id) }),
      patch: async ({ params, body, correlationId }) => ({
        status: 200,
        body: await updateProduct(db, params.id, body, { outbox, correlationId }),
      }),
    },
  };
}
