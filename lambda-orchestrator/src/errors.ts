import { Conflict, UpstreamFailed } from '@b2b/service-kit';

/** The orchestrator's own errors; their statuses come from service-kit's STATUS_OF_KIND. */

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

/**
 * The confirmation went unanswered (or a replayed one could not be checked) and the order
 * could not be read: it may or may not be confirmed. Canceling it blind could undo a
 * confirmed order, so it is left as it is; the same key settles it on the next call.
 */
export class OrderStateUnknown extends UpstreamFailed {
  constructor(orderId: number, whatHappened: string) {
    super(
      'ORDER_STATE_UNKNOWN',
      `Order ${orderId} was created, but whether it is confirmed is unknown: ${whatHappened}. ` +
        'It was not canceled. Retry with the same idempotency_key to settle it: the answer is then ' +
        '201 with the confirmed order, or 409 ORDER_CANCELED if it has been canceled since.',
    );
  }
}
