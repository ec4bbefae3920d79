import { Conflict, NotFound, UpstreamFailed } from '@b2b/service-kit';

/** The orchestrator's own errors; their statuses come from service-kit's STATUS_OF_KIND. */

export class CustomerNotFound extends NotFound {
  constructor(id: number) {
    super('CUSTOMER_NOT_FOUND', `Customer ${id} does not exist.`);
  }
}

/** The order of an earlier call with this key was canceled since: the call cannot be completed. */
export class OrderCanceled extends Conflict {
  constructor(orderId: number) {
    super('ORDER_CANCELED', `Order ${orderId} created for this idempotency key has since been canceled.`);
  }
}

/** Confirmation failed for good after the order was created; `detail` says what became of it. */
export class OrderConfirmationFailed extends UpstreamFailed {
  constructor(detail: string) {
    super('ORDER_CONFIRMATION_FAILED', detail);
  }
}
