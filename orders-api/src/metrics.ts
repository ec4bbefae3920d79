import { Counter, createMetricsRegistry, type Registry } from '@b2b/service-kit';
import type { IdempotencyScope } from './idempotency/idempotency';
import type { CancelSource, OrderStatus } from './orders/order-repository';

/**
 * The Orders API's own counters, served at GET /metrics next to the request and pool
 * metrics (docs/operations.md "Metrics"). Each is counted once its change is committed (or, for a
 * refusal, once the request is refused), never per transaction attempt.
 */
export interface OrdersMetrics {
  registry: Registry;
  /** A stored response answered again for its idempotency key. */
  idempotencyReplays: Counter<'scope'>;
  /** A key refused: used for another request (IDEMPOTENCY_KEY_REUSED) or still running (…_IN_PROGRESS). */
  idempotencyConflicts: Counter<'scope' | 'code'>;
  /** An order refused with 409 INSUFFICIENT_STOCK. */
  insufficientStockRefusals: Counter;
  /** Status changes of orders; `from` is absent on creation, `cancel_source` on all but cancellations. */
  orderTransitions: Counter<'from' | 'to' | 'cancel_source'>;
  /** Runs of the reservation sweep, by outcome (`completed`, `failed`). */
  reservationSweeps: Counter<'outcome'>;
  /** Orders whose expired reservation a sweep canceled, their stock restored. */
  reservationsReleased: Counter;
  /** Expired orders a sweep could not cancel: skipped (logged at error level), tried again by the next sweep. */
  reservationExpiryFailures: Counter;
  /** Units a cancellation could not give back: the product's stock stopped at the maximum stock on hand. */
  stockClampedUnits: Counter<'cancel_source'>;
}

const SCOPES: IdempotencyScope[] = ['create_order', 'confirm_order'];
const CANCELABLE: OrderStatus[] = ['CREATED', 'CONFIRMED'];
const CANCEL_SOURCES: CancelSource[] = ['CLIENT', 'ORCHESTRATOR_COMPENSATION', 'RESERVATION_EXPIRY'];

/**
 * The Orders API's counters in `registry` (a new one when absent: tests build one per app;
 * the server passes one that also collects process metrics). Every series that can occur
 * starts at 0, so a dashboard's rate() has a value from the first scrape.
 */
export function createOrdersMetrics(registry: Registry = createMetricsRegistry()): OrdersMetrics {
  const counter = <Label extends string>(name: string, help: string, labelNames: Label[] = []) =>
    new Counter<Label>({ name, help, labelNames, registers: [registry] });
  const metrics: OrdersMetrics = {
    registry,
    idempotencyReplays: counter(
      'idempotency_replays_total',
      'Stored responses replayed for their idempotency key.',
      ['scope'],
    ),
    idempotencyConflicts: counter(
      'idempotency_conflicts_total',
      'Requests refused with 409 for their idempotency key: reused for another request, or still in progress.',
      ['scope', 'code'],
    ),
    insufficientStockRefusals: counter(
      'orders_insufficient_stock_refusals_total',
      'Orders refused with 409 INSUFFICIENT_STOCK.',
    ),
    orderTransitions: counter(
      'order_transitions_total',
      'Order status changes: created (no from), confirmed, canceled (by cancel_source).',
      ['from', 'to', 'cancel_source'],
    ),
    reservationSweeps: counter(
      'reservation_sweeps_total',
      'Runs of the reservation expiry sweep, by outcome.',
      ['outcome'],
    ),
    reservationsReleased: counter(
      'reservation_sweep_released_orders_total',
      'CREATED orders canceled by the reservation sweep (ORDER_RESERVATION_TTL_MINUTES), stock restored.',
    ),
    reservationExpiryFailures: counter(
      'reservation_sweep_failed_orders_total',
      'Expired orders the reservation sweep could not cancel: skipped, logged, tried again by the next sweep.',
    ),
    stockClampedUnits: counter(
      'orders_stock_clamped_units_total',
      'Units a cancellation could not give back because the stock stopped at the maximum stock on hand (2147483647).',
      ['cancel_source'],
    ),
  };
  for (const scope of SCOPES) {
    metrics.idempotencyReplays.inc({ scope }, 0);
    for (const code of ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_PROGRESS']) {
      metrics.idempotencyConflicts.inc({ scope, code }, 0);
    }
  }
  metrics.insufficientStockRefusals.inc(0);
  metrics.orderTransitions.inc({ to: 'CREATED' }, 0);
  metrics.orderTransitions.inc({ from: 'CREATED', to: 'CONFIRMED' }, 0);
  for (const from of CANCELABLE) {
    for (const source of CANCEL_SOURCES) {
      // A compensation never cancels a CONFIRMED order, nor does the sweep.
      if (from === 'CONFIRMED' && source !== 'CLIENT') continue;
      metrics.orderTransitions.inc({ from, to: 'CANCELED', cancel_source: source }, 0);
    }
  }
  for (const outcome of ['completed', 'failed']) metrics.reservationSweeps.inc({ outcome }, 0);
  metrics.reservationsReleased.inc(0);
  metrics.reservationExpiryFailures.inc(0);
  for (const source of CANCEL_SOURCES) metrics.stockClampedUnits.inc({ cancel_source: source }, 0);
  return metrics;
}
