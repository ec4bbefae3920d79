import {
  Conflict,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  isDuplicateKey,
  NotFound,
  toPage,
  transactionWithRetry,
  type Database,
} from '@b2b/service-kit';
import {
  findProduct,
  findProductBySku,
  findProductPage,
  insertProduct,
  updateProductFields,
  type Product,
  type ProductCreate,
  type ProductUpdate,
} from './product-repository';

const productNotFound = (id: number) => new NotFound('PRODUCT_NOT_FOUND', `Product ${id} does not exist.`);

export async function createProduct(db: Database, input: ProductCreate): Promise<Product> {
  try {
    await insertProduct(db, input);
  } catch (error) {
    // The unique key decides, so two requests racing for one sku cannot both win.
    if (isDuplicateKey(error)) {
      throw new Conflict('SKU_TAKEN', `A product with sku ${input.sku} already exists.`);
    }
    throw error;
  }
  // The sku is unique and never changes, so it finds the row just inserted.
  const product = await findProductBySku(db, input.sku);
  if (!product) throw new Error(`Product ${input.sku} vanished right after it was created`);
  return product;
}

export async function getProduct(db: Database, id: number): Promise<Product> {
  const product = await findProduct(db, id);
  if (!product) throw productNotFound(id);
  return product;
}

export async function updateProduct(db: Database, id: number, changes: ProductUpdate): Promise<Product> {
  // One transaction, so the product returned is the one this update wrote.
  const product = await transactionWithRetry(db, async (tx) => {
    await updateProductFields(tx, id, changes);
    return findProduct(tx, id);
  });
  if (!product) throw productNotFound(id);
  return product;
}

export async function listProducts(
  db: Database,
  query: { search?: string; cursor?: string; limit?: number },
): Promise<{ data: Product[]; next_cursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const [afterId] = query.cursor ? decodeCursor(query.cursor, ['integer']) : [0];
  const products = await findProductPage(db, { search: query.search, afterId, limit: limit + 1 });
  return toPage(
    products,
    limit,
    (product) => product,
    (product) => [product.id],
  );
}
