import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  isDuplicateKey,
  sql,
  toPage,
  transactionWithRetry,
  type CursorKey,
  type CursorScope,
  type Database,
  type EventContext,
} from '@b2b/service-kit';
import { ProductNotFound, SkuTaken } from '../errors';
import { productEventsStatements } from '../events';
import {
  findProduct,
  findProductPage,
  insertProduct,
  updateProductFields,
  type Product,
  type ProductCreate,
  type ProductUpdate,
} from './product-repository';

/** The unique key decides, not a prior SELECT: of two requests racing for one sku only one inserts. */
export async function createProduct(
  db: Database,
  input: ProductCreate,
  events: EventContext,
): Promise<Product> {
  const product = await transactionWithRetry(db, async (tx) => {
    try {
      const id = await insertProduct(tx, input);
      await tx.query(
        productEventsStatements(events.outbox, 'product.created', sql`p.id = ${id}`, events.correlationId),
      );
      return await findProduct(tx, id);
    } catch (error) {
      if (isDuplicateKey(error)) throw new SkuTaken(input.sku);
      throw error;
    }
  });
  if (!product) throw new Error(`Product ${input.sku} vanished right after it was created`);
  return product;
}

export async function getProduct(db: Database, id: number): Promise<Product> {
  const product = await findProduct(db, id);
  if (!product) throw new ProductNotFound(id);
  return product;
}

export async function updateProduct(
  db: Database,
  id: number,
  changes: ProductUpdate,
  events: EventContext,
): Promise<Product> {
  // One transaction, so the product returned is the one this update wrote, and its event
  // is committed with it (none when there is no such product).
  const product = await transactionWithRetry(db, async (tx) => {
    await updateProductFields(tx, id, changes);
    await tx.query(
      productEventsStatements(events.outbox, 'product.updated', sql`p.id = ${id}`, events.correlationId),
    );
    return findProduct(tx, id);
  });
  if (!product) throw new ProductNotFound(id);
  return product;
}

/** The list of products a cursor belongs to: GET /products with this search and stock_below. */
const productListScope = (
  key: CursorKey,
  filters: { search?: string; stockBelow?: number },
): CursorScope => ({
  key,
  list: 'listProducts',
  filters: { search: filters.search, stock_below: filters.stockBelow?.toString() },
});

/** A page of products in id order, filtered by `search` and `stock_below` (both combine with AND). */
export async function listProducts(
  db: Database,
  query: { search?: string; stock_below?: number; cursor?: string; limit?: number },
  cursorKey: CursorKey,
): Promise<{ data: Product[]; next_cursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const filters = { search: query.search, stockBelow: query.stock_below };
  const scope = productListScope(cursorKey, filters);
  const [afterId] = query.cursor ? decodeCursor(query.cursor, ['integer'], scope) : [0];
  const products = await findProductPage(db, { ...filters, afterId, limit: limit + 1 });
  return toPage(
    products,
    limit,
    (product) => product,
    (product) => [product.id],
    scope,
  );
}
