import {
  Conflict,
  InputError,
  NotFound,
  UnknownReference,
  UpstreamFailed,
  UpstreamTimeout,
} from '@b2b/service-kit';

/** The errors of the Orders API's use cases; their statuses come from service-kit's STATUS_OF_KIND. */

export class ProductNotFound extends NotFound {
  constructor(id: number) {
    super('PRODUCT_NOT_FOUND', `Product ${id} does not exist.`);
  }
}

export class SkuTaken extends Conflict {
  constructor(sku: string) {
    super('SKU_TAKEN', `A product with sku ${sku} already exists.`);
  }
}

export class OrderNotFound extends NotFound {
  constructor(id: number) {
    super('ORDER_NOT_FOUND', `Order ${id} does not exist.`);
  }
}

export class DuplicateOrderItem extends InputError {
  constructor(productId: number, index: number, firstIndex: number) {
    super(
      'DUPLICATE_ORDER_ITEM',
      `Product ${productId} appears more than once in items; send one line per product.`,
      [
        {
          field: `body.items.${index}.product_id`,
          message: `duplicates body.items.${firstIndex}.product_id`,
        },
      ],
    );
  }
}

/** An order line names a product that does not exist (a reference in the body: 422). */
export class UnknownProduct extends UnknownReference {
  constructor(id: number) {
    super('PRODUCT_NOT_FOUND', `Product ${id} does not exist.`);
  }
}

/** The order names a customer that does not exist or was deleted (422). */
export class UnknownCustomer extends UnknownReference {
  constructor(id: number) {
    super('CUSTOMER_NOT_FOUND', `Customer ${id} does not exist.`);
  }
}

/** A line of an order asking for more units than its product has: `index` is its place in the request's items. */
export interface ShortLine {
  index: number;
  product: { id: number; sku: string; stock: number };
  requested: number;
}

/**
 * Some lines ask for more than is in stock (409): every short line is listed, each as a
 * field error on `body.items.<index>.qty` (the line's index in the request, as validation
 * errors name it), so a client can show it next to its line.
 */
export class InsufficientStock extends Conflict {
  /** `lines`: at least one. */
  constructor(lines: ShortLine[]) {
    const shortage = (line: ShortLine) => `${line.requested} requested, ${line.product.stock} available`;
    super(
      'INSUFFICIENT_STOCK',
      `Insufficient stock for ${lines
        .map((line) => `product ${line.product.id} (${line.product.sku}): ${shortage(line)}`)
        .join('; ')}.`,
      lines.map((line) => ({ field: `body.items.${line.index}.qty`, message: shortage(line) })),
    );
  }
}

export class OrderCanceled extends Conflict {
  constructor(id: number) {
    super('INVALID_ORDER_STATUS', `Order ${id} is CANCELED and cannot be confirmed.`);
  }
}

/** An orchestrator compensation found the order CONFIRMED: it undoes reservations, never sales. */
export class CompensationOfConfirmedOrder extends Conflict {
  constructor(id: number) {
    super('INVALID_ORDER_STATUS', `Order ${id} is CONFIRMED; a compensation cancels only a CREATED order.`);
  }
}

export class CancelWindowExpired extends Conflict {
  constructor(id: number, confirmedAt: string | null, windowMinutes: number) {
    super(
      'CANCEL_WINDOW_EXPIRED',
      `Order ${id} was confirmed at ${confirmedAt}; ` +
        `confirmed orders can be canceled for ${windowMinutes} minutes only.`,
    );
  }
}

export class IdempotencyKeyReused extends Conflict {
  constructor(key: string) {
    super('IDEMPOTENCY_KEY_REUSED', `Idempotency key ${key} was already used for a different request.`);
  }
}

/** Answered at once, never after waiting on the first request: the client retries after a second. */
export class IdempotencyKeyInProgress extends Conflict {
  constructor(key: string) {
    super(
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      `A request with idempotency key ${key} is still in progress; retry later.`,
    );
    this.headers = { 'Retry-After': '1' };
  }
}

/** The Customers API is unreachable or failing (502: see the contract's createOrder). */
export class CustomersApiUnavailable extends UpstreamFailed {
  constructor(customerId: number, why: string) {
    super('CUSTOMERS_API_UNAVAILABLE', `The Customers API ${why} while checking customer ${customerId}.`);
  }
}

export class CustomersApiTimeout extends UpstreamTimeout {
  constructor(customerId: number) {
    super(
      'CUSTOMERS_API_TIMEOUT',
      `The Customers API did not answer in time while checking customer ${customerId}.`,
    );
  }
}

/** A webhook URL the SSRF rules refuse (url-policy.ts): the detail and the field error name the rule. */
export class InvalidWebhookUrl extends InputError {
  constructor(rule: string, why: string) {
    super('INVALID_WEBHOOK_URL', `The webhook URL is refused (rule ${rule}): ${why}`, [
      { field: 'body.url', message: `refused: ${rule}` },
    ]);
  }
}

export class WebhookEndpointNotFound extends NotFound {
  constructor(id: number) {
    super('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook endpoint ${id} does not exist.`);
  }
}

export class WebhookDeliveryNotFound extends NotFound {
  constructor(endpointId: number, deliveryId: number) {
    super('WEBHOOK_DELIVERY_NOT_FOUND', `Webhook endpoint ${endpointId} has no delivery ${deliveryId}.`);
  }
}
