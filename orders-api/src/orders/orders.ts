import {
  BadRequest,
  Conflict,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  GatewayTimeout,
  isTimeoutError,
  NotFound,
  ServiceUnavailable,
  toPage,
  transactionWithRetry,
  UnprocessableEntity,
  type CustomersClient,
  type Database,
  type Queryable,
} from '@b2b/service-kit';
import type { components } from '../../../generated/orders';
import {
  claimOrReplay,
  idempotentRequest,
  releaseIdempotencyKey,
  type IdempotentRequest,
  type JsonTextResponse,
} from '../idempotency/idempotency';
import { completeIdempotencyKey, insertIdempotencyKey } from '../idempotency/idempotency-repository';
import { decrementStock, lockProducts, type LockedProduct } from '../products/product-repository';
import {
  findItemsOfOrders,
  findLastInsertId,
  findOrderPage,
  findOrderWithItems,
  insertOrder,
  insertOrderItems,
  type Order,
  type OrderItem,
  type OrderStatus,
} from './order-repository';

export type OrderCreate = components['schemas']['OrderCreate'];
type OrderItemInput = components['schemas']['OrderItemInput'];

/** What the order use cases need, built once by the app from its configuration. */
export interface OrdersContext {
  db: Database;
  customers: CustomersClient;
  idempotencyKeyTtlHours: number;
  cancelWindowMinutes: number;
}

export const orderNotFound = (id: number) => new NotFound('ORDER_NOT_FOUND', `Order ${id} does not exist.`);

/**
 * Places an order. With an idempotency key the key is claimed first (in its own
 * statement), so a retry replays the stored response and a concurrent duplicate is
 * rejected before anything else happens; a failed attempt releases the key.
 */
export async function createOrder(
  context: OrdersContext,
  input: OrderCreate,
  idempotencyKey: string | undefined,
): Promise<JsonTextResponse> {
  assertOneLinePerProduct(input.items);
  if (idempotencyKey === undefined) return placeOrder(context, input);

  const request = idempotentRequest('create_order', idempotencyKey, input);
  const claim = await claimOrReplay(context.db, request, () =>
    insertIdempotencyKey(context.db, {
      ...request,
      targetType: 'order',
      ttlHours: context.idempotencyKeyTtlHours,
    }),
  );
  if (claim.kind === 'replay') return claim.response;
  try {
    return await placeOrder(context, input, request);
  } catch (error) {
    // The request's own error is what the client must see; a claim left behind expires anyway.
    await releaseIdempotencyKey(context.db, request).catch(() => undefined);
    throw error;
  }
}

function assertOneLinePerProduct(items: OrderItemInput[]): void {
  const firstLineOf = new Map<number, number>();
  items.forEach((item, index) => {
    const firstLine = firstLineOf.get(item.product_id);
    if (firstLine !== undefined) {
      throw new BadRequest(
        'DUPLICATE_ORDER_ITEM',
        `Product ${item.product_id} appears more than once in items; send one line per product.`,
        [
          {
            field: `body.items.${index}.product_id`,
            message: `duplicates body.items.${firstLine}.product_id`,
          },
        ],
      );
    }
    firstLineOf.set(item.product_id, index);
  });
}

/**
 * Checks the customer over HTTP before any connection is taken from the pool, then does
 * everything else in one transaction with a fixed number of statements, however many
 * lines the order has.
 */
async function placeOrder(
  context: OrdersContext,
  input: OrderCreate,
  request?: IdempotentRequest,
): Promise<JsonTextResponse> {
  await assertCustomerExists(context.customers, input.customer_id);
  return transactionWithRetry(context.db, async (tx) => {
    const products = await lockProducts(
      tx,
      input.items.map((item) => item.product_id),
    );
    const items = priceItems(input.items, products);
    const totalCents = items.reduce((total, item) => total + item.subtotal_cents, 0);
    await insertOrder(tx, { customerId: input.customer_id, totalCents });
    const orderId = await findLastInsertId(tx);
    await insertOrderItems(tx, orderId, items);
    await decrementStock(
      tx,
      items.map((item) => ({ productId: item.product_id, qty: item.qty })),
    );
    const body = JSON.stringify(await getOrder(tx, orderId));
    if (request) await completeIdempotencyKey(tx, request, { targetId: orderId, status: 201, body });
    return { status: 201, body, targetId: orderId, isReplay: false };
  });
}

async function assertCustomerExists(customers: CustomersClient, customerId: number): Promise<void> {
  let result;
  try {
    result = await customers.GET('/internal/customers/{id}', { params: { path: { id: customerId } } });
  } catch (error) {
    if (isTimeoutError(error)) {
      throw new GatewayTimeout(
        'CUSTOMERS_API_TIMEOUT',
        `The Customers API did not answer in time while checking customer ${customerId}.`,
      );
    }
    throw new ServiceUnavailable(
      'CUSTOMERS_API_UNAVAILABLE',
      `The Customers API could not be reached to check customer ${customerId}.`,
    );
  }
  if (result.response.status === 404) {
    throw new UnprocessableEntity('CUSTOMER_NOT_FOUND', `Customer ${customerId} does not exist.`);
  }
  if (result.error !== undefined) {
    throw new ServiceUnavailable(
      'CUSTOMERS_API_UNAVAILABLE',
      `The Customers API answered ${result.response.status} while checking customer ${customerId}.`,
    );
  }
}

/** Prices every line at the product's current price; all or nothing. */
function priceItems(lines: OrderItemInput[], products: LockedProduct[]): OrderItem[] {
  const productsById = new Map(products.map((product) => [product.id, product]));
  const unknown = lines.find((line) => !productsById.has(line.product_id));
  if (unknown) {
    throw new UnprocessableEntity('PRODUCT_NOT_FOUND', `Product ${unknown.product_id} does not exist.`);
  }
  return lines.map((line) => {
    const product = productsById.get(line.product_id)!;
    if (line.qty > product.stock) {
      throw new Conflict(
        'INSUFFICIENT_STOCK',
        `Insufficient stock for product ${product.id} (${product.sku}): ${line.qty} requested, ${product.stock} available.`,
      );
    }
    return {
      product_id: product.id,
      sku: product.sku,
      name: product.name,
      qty: line.qty,
      unit_price_cents: product.priceCents,
      subtotal_cents: line.qty * product.priceCents,
    };
  });
}

export async function getOrder(db: Queryable, id: number): Promise<Order> {
  const order = await findOrderWithItems(db, id);
  if (!order) throw orderNotFound(id);
  return order;
}

function invalidCursor(): BadRequest {
  return new BadRequest('INVALID_CURSOR', 'The cursor is not one this API issued.', [
    { field: 'query.cursor', message: 'is not a valid cursor' },
  ]);
}

function decodeOrderCursor(cursor: string): { createdAt: Date; id: number } {
  const [createdAt, id] = decodeCursor(cursor, ['string', 'integer']);
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) throw invalidCursor();
  return { createdAt: date, id };
}

/**
 * The contract's date-time format admits strings no calendar has (month 13, second 60):
 * they are a 400 here rather than a filter that silently matches nothing.
 */
function instantOf(parameter: 'from' | 'to', value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) {
    throw new BadRequest('VALIDATION_FAILED', 'The request is invalid.', [
      { field: `query.${parameter}`, message: 'must be a real ISO 8601 date-time' },
    ]);
  }
  return instant;
}

/** A page of orders with their items: two queries whatever the page size. */
export async function listOrders(
  db: Database,
  query: { status?: OrderStatus; from?: string; to?: string; cursor?: string; limit?: number },
): Promise<{ data: Order[]; next_cursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const orders = await findOrderPage(db, {
    status: query.status,
    from: instantOf('from', query.from),
    to: instantOf('to', query.to),
    after: query.cursor === undefined ? undefined : decodeOrderCursor(query.cursor),
    limit: limit + 1,
  });
  const pageOrders = orders.slice(0, limit);
  const itemsByOrder = await findItemsOfOrders(
    db,
    pageOrders.map((order) => order.id),
  );
  return toPage(
    orders,
    limit,
    (order) => ({ ...order, items: itemsByOrder.get(order.id) ?? [] }),
    (order) => [order.created_at, order.id],
  );
}
