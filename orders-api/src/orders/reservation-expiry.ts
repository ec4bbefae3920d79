import { randomUUID } from 'node:crypto';
import {
  isDatabaseUnavailable,
  readCommittedTransaction,
  retryingConflicts,
  TransactionConflict,
  type Database,
  type Logger,
} from '@b2b/service-kit';
import type { EventsOutbox } from '../events';
import type { OrdersMetrics } from '../metrics';
import {
  restoreStockOfOrdersStatement,
  stockBeyondMaximumStatement,
  toStockClamps,
  type StockClamp,
} from '../products/product-repository';
import { cancellationEventStatements, reportStockClamps } from './cancel-order';
import {
  canceledOrder,
  findOrdersWithItems,
  lockExpiredReservations,
  markOrdersCanceledStatement,
} from './order-repository';

/**
 * Orders canceled per transaction (ORDER_RESERVATION_SWEEP_BATCH_SIZE's default): keeps every
 * transaction, and the locks it holds, short.
 */
export const RESERVATION_EXPIRY_BATCH_SIZE = 100;

export interface ReservationExpiryOptions {
  /** ORDER_RESERVATION_TTL_MINUTES: a CREATED order older than this is canceled. */
  ttlMinutes: number;
  batchSize?: number;
  /** Where sweeps and released orders are counted (the app's counters); none when absent. */
  metrics?: OrdersMetrics;
  /** The sweep's own correlation id, in its log lines and its events' correlationid; a new one when absent. */
  correlationId?: string;
  /** Where the cancellations write their events (undefined under EVENTS=off). */
  outbox: EventsOutbox;
}

/** The cancel_reason of an order whose reservation expired (the people-readable side of RESERVATION_EXPIRY). */
export function reservationExpiredReason(ttlMinutes: number): string {
  return `Not confirmed within ${ttlMinutes} minutes of creation: the reservation expired and the stock was released.`;
}

/** What one committed batch of the sweep did. */
export interface ExpiredReservationBatch {
  /** The orders it canceled. */
  orderIds: number[];
  /** The units it could not give back, by product: their stock stopped at MAX_STOCK_ON_HAND. */
  stockClamps: StockClamp[];
}

/**
 * Cancels one batch of expired reservations in one transaction: locks up to `batchSize`
 * CREATED orders older than the TTL that no other transaction holds (but none of
 * `excludedOrderIds`), gives their stock back and marks them CANCELED by RESERVATION_EXPIRY.
 * `locked.orderIds` says which orders it locked, also when it then fails.
 */
export async function expireReservationBatch(
  db: Database,
  options: ReservationExpiryOptions & { excludedOrderIds?: number[] },
  locked: { orderIds: number[] } = { orderIds: [] },
): Promise<ExpiredReservationBatch> {
  const { ttlMinutes, batchSize = RESERVATION_EXPIRY_BATCH_SIZE, excludedOrderIds = [] } = options;
  const correlationId = options.correlationId ?? randomUUID();
  locked.orderIds = [];
  // Sweeps of replicas on different nodes of a Galera cluster do not see each other's locks
  // (SKIP LOCKED is node-local): one commits, the other is aborted and runs again.
  return retryingConflicts(() =>
    readCommittedTransaction(db, async (tx) => {
      const { orderIds, lockedAt } = await lockExpiredReservations(
        tx,
        ttlMinutes,
        batchSize,
        excludedOrderIds,
      );
      locked.orderIds = orderIds;
      if (orderIds.length === 0 || !lockedAt) return { orderIds: [], stockClamps: [] };
      const cancellation = {
        source: 'RESERVATION_EXPIRY',
        reason: reservationExpiredReason(ttlMinutes),
      } as const;
      const canceled = (await findOrdersWithItems(tx, orderIds)).map((order) =>
        canceledOrder(order, lockedAt, cancellation),
      );
      const [beyondMaximum] = await tx.query([
        stockBeyondMaximumStatement(orderIds),
        restoreStockOfOrdersStatement(orderIds),
        markOrdersCanceledStatement(orderIds, lockedAt, cancellation),
        ...cancellationEventStatements(options.outbox, canceled, correlationId),
      ]);
      return { orderIds, stockClamps: toStockClamps(beyondMaximum!) };
    }),
  );
}

/**
 * True when a batch failed because of what it locked (a row the cancellation cannot
 * change): worth retrying its orders one by one. Not when the database is unreachable or
 * timed out (isDatabaseUnavailable covers both): then every order would fail the same way;
 * nor when it kept being aborted as conflicting with concurrent changes (TransactionConflict:
 * nothing is wrong with the orders). Then the sweep stops, and the next one tries again.
 */
function isFailureOfLockedOrders(error: unknown, locked: { orderIds: number[] }): boolean {
  return (
    locked.orderIds.length > 0 && !isDatabaseUnavailable(error) && !(error instanceof TransactionConflict)
  );
}

/**
 * Cancels every expired reservation, batch after batch until one comes back short (or
 * `shouldStop` says so), logging each order id once its batch is committed. Several
 * replicas may run it at once: each order is canceled by exactly one of them.
 *
 * An order that cannot be canceled never holds up the others: when a batch fails (but the
 * database answers), its orders are tried again one at a time; those that still fail are
 * logged at error level, counted (reservation_sweep_failed_orders_total), left CREATED and
 * passed over by the rest of this sweep. The next sweep tries them again.
 */
export async function expireReservations(
  db: Database,
  logger: Logger,
  options: ReservationExpiryOptions & { shouldStop?: () => boolean },
): Promise<number[]> {
  const batchSize = options.batchSize ?? RESERVATION_EXPIRY_BATCH_SIZE;
  const { metrics } = options;
  // One for the whole sweep: its batches' events say they were one job.
  const correlationId = options.correlationId ?? randomUUID();
  const canceled: number[] = [];
  /** The orders this sweep could not cancel: excluded from its later batches. */
  const skipped: number[] = [];
  const released = ({ orderIds, stockClamps }: ExpiredReservationBatch) => {
    for (const orderId of orderIds) {
      logger.info(
        { orderId, ttlMinutes: options.ttlMinutes, cancelSource: 'RESERVATION_EXPIRY' },
        'order reservation expired: order canceled, stock restored',
      );
    }
    // Counted per committed batch: a sweep that fails later has still released these.
    metrics?.reservationsReleased.inc(orderIds.length);
    metrics?.orderTransitions.inc(
      { from: 'CREATED', to: 'CANCELED', cancel_source: 'RESERVATION_EXPIRY' },
      orderIds.length,
    );
    reportStockClamps(logger, metrics, stockClamps, 'RESERVATION_EXPIRY');
    canceled.push(...orderIds);
  };
  /** Cancels up to `count` expired orders one per transaction, skipping those that fail. */
  const expireOneByOne = async (count: number) => {
    for (let index = 0; index < count && !options.shouldStop?.(); index += 1) {
      const locked = { orderIds: [] as number[] };
      try {
        const batch = await expireReservationBatch(
          db,
          { ...options, correlationId, batchSize: 1, excludedOrderIds: skipped },
          locked,
        );
        if (batch.orderIds.length === 0) return;
        released(batch);
      } catch (error) {
        if (!isFailureOfLockedOrders(error, locked)) throw error;
        skipped.push(...locked.orderIds);
        metrics?.reservationExpiryFailures.inc(locked.orderIds.length);
        for (const orderId of locked.orderIds) {
          logger.error(
            { err: error, orderId, ttlMinutes: options.ttlMinutes, cancelSource: 'RESERVATION_EXPIRY' },
            'could not cancel an expired reservation: order left CREATED and skipped; the next sweep tries again',
          );
        }
      }
    }
  };
  try {
    for (;;) {
      const locked = { orderIds: [] as number[] };
      let attempted: number;
      try {
        const batch = await expireReservationBatch(
          db,
          { ...options, correlationId, batchSize, excludedOrderIds: skipped },
          locked,
        );
        released(batch);
        attempted = batch.orderIds.length;
      } catch (error) {
        if (!isFailureOfLockedOrders(error, locked)) throw error;
        // Rolled back whole: its orders again, each in a transaction of its own.
        attempted = locked.orderIds.length;
        await expireOneByOne(attempted);
      }
      if (attempted < batchSize || options.shouldStop?.()) break;
    }
  } catch (error) {
    metrics?.reservationSweeps.inc({ outcome: 'failed' });
    throw error;
  }
  metrics?.reservationSweeps.inc({ outcome: 'completed' });
  return canceled;
}

export interface ReservationExpirySchedule {
  /** Stops the timer and waits for a sweep in progress to finish its current batch. */
  stop(): Promise<void>;
}

/**
 * Sweeps expired reservations every `intervalSeconds`, each sweep after the previous one
 * ended (never two at once in one process). The timer does not keep the process alive; a
 * failed sweep is logged and the next one tries again. A TTL of 0 turns expiry off.
 */
export function scheduleReservationExpiry(
  db: Database,
  logger: Logger,
  options: ReservationExpiryOptions & { intervalSeconds: number },
): ReservationExpirySchedule {
  const jobLogger = logger.child({ job: 'reservation-expiry' });
  if (options.ttlMinutes === 0) {
    jobLogger.info('order reservation expiry is off (ORDER_RESERVATION_TTL_MINUTES=0)');
    return { stop: async () => undefined };
  }
  let isStopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const sweep = async () => {
    // One correlation id per sweep ties its log lines together.
    const correlationId = randomUUID();
    const sweepLogger = jobLogger.child({ correlationId });
    try {
      const canceled = await expireReservations(db, sweepLogger, {
        ...options,
        correlationId,
        shouldStop: () => isStopped,
      });
      if (canceled.length > 0)
        sweepLogger.info({ canceled: canceled.length }, 'expired reservations released');
    } catch (error) {
      sweepLogger.warn({ err: error }, 'could not release expired reservations; the next sweep tries again');
    }
  };
  const scheduleNext = () => {
    if (isStopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(scheduleNext);
    }, options.intervalSeconds * 1000);
    timer.unref();
  };
  scheduleNext();

  return {
    async stop() {
      isStopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
