import { CORRELATION_HEADER, isTimeoutError } from '@b2b/contracts/client';
import type { CustomersClient } from '@b2b/contracts/customers';
import type { components } from '@b2b/contracts/orders';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  insertedId,
  InvalidCursor,
  JsonText,
  parseInstant,
  sql,
  toPage,
  transactionWithRetry,
  ValidationFailed,
  type BatchedTransaction,
  type CursorKey,
  type CursorScope,
  type Database,
  type EventContext,
  type Logger,
  type Principal,
  type Queryable,
} from '@b2b/service-kit';
import {
  CustomersApiTimeout,
  CustomersApiUnavailable,
  DuplicateOrderItem,
  InsufficientStock,
  OrderNotFound,
  UnknownCustomer,
  UnknownProduct,
} from '../errors';
import {
  idempotencyKeyOwner,
  withIdempotency,
  type IdempotencyScope,
  type IdempotentResponse,
  type StoredResponse,
} from '../idempotency/idempotency';
import { orderCreatedOfLastOrderStatements, productEventsStatements, type EventsOutbox } from '../events';
import type { OrdersMetrics } from '../metrics';
import { decrementStockStatement, lockProducts, type LockedProduct } from '../products/product-repository';
import {
  findItemsOfOrders,
  findOrderPage,
  findOrderWithItems,
  insertItemsOfLastOrderStatement,
  insertOrderStatement,
  type CustomerSnapshot,
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
  abandonedClaimSeconds: number;
  cancelWindowMinutes: number;
  /** Signs and checks the cursors of GET /orders. */
  cursorKey: CursorKey;
  metrics: OrdersMetrics;
  /** For what a request leaves behind besides its answer (units a cancellation could not give back). */
  logger: Logger;
  /** Where changes write their events (undefined under EVENTS=off). */
  outbox: EventsOutbox;
}

/** The idempotency settings of this API for one operation, caller and key. */
export function idempotencyOptions(
  context: OrdersContext,
  scope: IdempotencyScope,
  key: { value: string; caller: Principal },
  request: unknown,
) {
  const { idempotencyKeyTtlHours: ttlHours, abandonedClaimSeconds: abandonedAfterSeconds, metrics } = context;
  const owner = idempotencyKeyOwner(key.caller);
  return { scope, owner, key: key.value, request, ttlHours, abandonedAfterSeconds, metrics };
}

/**
 * Places an order: the customer is looked up over HTTP before any connection is taken from
 * the pool, then everything else happens in one transaction with a fixed number of
 * statements, however many lines the order has. With an idempotency key, a retry replays
 * the first response and a concurrent duplicate is refused before anything else happens.
 */
export async function createOrder(
  context: OrdersContext,
  input: OrderCreate,
  request: { idempotencyKey: string | undefined; caller: Principal; correlationId: string },
): Promise<IdempotentResponse<Order>> {
  const { idempotencyKey, caller, correlationId } = request;
  assertOneLinePerProduct(input.items);
  const work = {
    prepare: () => findCustomer(context.customers, input.customer_id, correlationId),
    transaction: (tx: BatchedTransaction, customer: CustomerSnapshot) =>
      placeOrder(tx, input, customer, { outbox: context.outbox, correlationId }),
  };
  const placed = async (): Promise<IdempotentResponse<Order>> => {
    if (idempotencyKey === undefined) {
      const customer = await work.prepare();
      const response = await transactionWithRetry(context.db, (tx) => work.transaction(tx, customer));
      return { ...response, isReplay: false };
    }
    return withIdempotency(
      context.db,
      idempotencyOptions(context, 'create_order', { value: idempotencyKey, caller }, input),
      work,
    );
  };
  try {
    const response = await placed();
    if (!response.isReplay) context.metrics.orderTransitions.inc({ to: 'CREATED' });
    return response;
  } catch (error) {
    if (error instanceof InsufficientStock) context.metrics.insufficientStockRefusals.inc();
    throw error;
  }
}

function assertOneLinePerProduct(items: OrderItemInput[]): void {
  const firstLineOf = new Map<number, number>();
  items.forEach((item, index) => {
    const firstLine = firstLineOf.get(item.product_id);
    if (firstLine !== undefined) throw new DuplicateOrderItem(item.product_id, index, firstLine);
    firstLineOf.set(item.product_id, index);
  });
}

/**
 * Two round trips whatever the number of lines: BEGIN with the lock and read of the
 * products; then the order, its items, the stock taken and the events (order.created, a
 * product.updated per product), with COMMIT (when nothing is stored with the order; else the
 * caller commits). The answer is built from what was written, so nothing is read back.
 */
async function placeOrder(
  tx: BatchedTransaction,
  input: OrderCreate,
  customer: CustomerSnapshot,
  events: EventContext,
): Promise<StoredResponse<Order>> {
  const { products, lockedAt } = await lockProducts(
    tx,
    input.items.map((item) => item.product_id),
  );
  const items = priceItems(input.items, products);
  const totalCents = items.reduce((total, item) => total + item.subtotal_cents, 0);
  // priceItems found every product, so the lock read the clock.
  const createdAt = lockedAt!.toISOString();
  const order: Order = {
    // The server's LAST_INSERT_ID() until the INSERT below has answered.
    id: 0,
    customer_id: customer.id,
    customer,
    status: 'CREATED',
    total_cents: totalCents,
    created_at: createdAt,
    updated_at: createdAt,
    confirmed_at: null,
    canceled_at: null,
    cancel_source: null,
    cancel_reason: null,
    // As findOrderWithItems lists them.
    items: items.toSorted((a, b) => a.product_id - b.product_id),
  };
  const productIds = items.map((item) => item.product_id);
  const [insertedOrder] = await tx.commitWith([
    insertOrderStatement({ customer, totalCents, createdAt: lockedAt! }),
    insertItemsOfLastOrderStatement(items),
    decrementStockStatement(items.map((item) => ({ productId: item.product_id, qty: item.qty }))),
    ...orderCreatedOfLastOrderStatements(events.outbox, order, events.correlationId),
    ...productEventsStatements(
      events.outbox,
      'product.updated',
      sql`p.id IN (${sql.join(
        productIds.map((id) => sql`${id}`),
        sql`, `,
      )})`,
      events.correlationId,
    ),
  ]);
  order.id = insertedId(insertedOrder);
  return { status: 201, body: JsonText.of(order), targetId: order.id };
}

/** The customer as the Customers API has them now; UnknownCustomer when missing or deleted. */
async function findCustomer(
  customers: CustomersClient,
  customerId: number,
  correlationId: string,
): Promise<CustomerSnapshot> {
  let result;
  try {
    result = await customers.GET('/internal/customers/{id}', {
      params: { path: { id: customerId } },
      headers: { [CORRELATION_HEADER]: correlationId },
    });
  } catch (error) {
    if (isTimeoutError(error)) throw new CustomersApiTimeout(customerId);
    throw new CustomersApiUnavailable(customerId, 'could not be reached');
  }
  if (result.response.status === 404) throw new UnknownCustomer(customerId);
  if (result.error !== undefined) {
    throw new CustomersApiUnavailable(customerId, `answered ${result.response.status}`);
  }
  const { id, name, email, phone } = result.data;
  return { id, name, email, phone };
}

/** Prices every line at the product's current price; all or nothing. */
function priceItems(lines: OrderItemInput[], products: LockedProduct[]): OrderItem[] {
  const productsById = new Map(products.map((product) => [product.id, product]));
  const unknown = lines.find((line) => !productsById.has(line.product_id));
  if (unknown) throw new UnknownProduct(unknown.product_id);
  // Every short line, not just the first: the client can fix them all in one go.
  const shortLines = lines.flatMap((line, index) => {
    const product = productsById.get(line.product_id)!;
    return line.qty > product.stock ? [{ index, product, requested: line.qty }] : [];
  });
  if (shortLines.length > 0) throw new InsufficientStock(shortLines);
  return lines.map((line) => {
    const product = productsById.get(line.product_id)!;
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
  if (!order) throw new OrderNotFound(id);
  return order;
}

function decodeOrderCursor(cursor: string, scope: CursorScope): { createdAt: Date; id: number } {
  const [createdAt, id] = decodeCursor(cursor, ['string', 'integer'], scope);
  const date = new Date(createdAt);
  if (Number.isNaN(date.getTime())) throw new InvalidCursor();
  return { createdAt: date, id };
}

/**
 * A bound as an instant, read by the strict parser the contract router has already
 * applied (so a value here is always a real instant; a 400 otherwise, naming it).
 */
function instantOf(parameter: 'from' | 'to', value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const instant = parseInstant(value);
  if (!instant)
    throw new ValidationFailed([
      { field: `query.${parameter}`, message: 'must be a real RFC 3339 date-time' },
    ]);
  return instant;
}

/**
 * A page of orders with their items: two queries whatever the page size. A cursor belongs to
 * the status, the customer and the instants of from and to, however they were written.
 */
export async function listOrders(
  db: Database,
  query: {
    status?: OrderStatus;
    customer_id?: number;
    from?: string;
    to?: string;
    cursor?: string;
    limit?: number;
  },
  cursorKey: CursorKey,
): Promise<{ data: Order[]; next_cursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const from = instantOf('from', query.from);
  const to = instantOf('to', query.to);
  const scope: CursorScope = {
    key: cursorKey,
    list: 'listOrders',
    filters: {
      status: query.status,
      customer_id: query.customer_id?.toString(),
      from: from?.toISOString(),
      to: to?.toISOString(),
    },
  };
  const orders = await findOrderPage(db, {
    status: query.status,
    customerId: query.customer_id,
    from,
    to,
    after: query.cursor === undefined ? undefined : decodeOrderCursor(query.cursor, scope),
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
    scope,
  );
}
