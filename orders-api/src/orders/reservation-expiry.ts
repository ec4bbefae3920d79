import { randomUUID } from 'node:crypto';
import { sql, type Database, type Logger, type Queryable } from '@b2b/service-kit';
import type { OrdersMetrics } from '../metrics';
import { restoreStockOfOrdersStatement } from '../products/product-repository';
import { lockExpiredReservations, markOrdersCanceledStatement } from './order-repository';

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
}

/** The cancel_reason of an order whose reservation expired (the people-readable side of RESERVATION_EXPIRY). */
export function reservationExpiredReason(ttlMinutes: number): string {
  return `Not confirmed within ${ttlMinutes} minutes of creation: the reservation expired and the stock was released.`;
}

/**
 * READ COMMITTED for the sweep's transaction: under REPEATABLE READ its range scan would
 * also lock the gap after the last CREATED order, where every new order is inserted, and
 * an order creation holding product locks could then deadlock with it. SET TRANSACTION
 * applies to the next transaction of this connection only.
 */
async function inReadCommittedTransaction<T>(db: Database, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.task(async (connection) => {
    await connection.query(sql`SET TRANSACTION ISOLATION LEVEL READ COMMITTED`);
    return connection.tx(work);
  });
}

/**
 * Cancels one batch of expired reservations in one transaction: locks up to `batchSize`
 * CREATED orders older than the TTL that no other transaction holds, gives their stock
 * back and marks them CANCELED by RESERVATION_EXPIRY. Returns the ids it canceled.
 */
export async function expireReservationBatch(
  db: Database,
  options: ReservationExpiryOptions,
): Promise<number[]> {
  const { ttlMinutes, batchSize = RESERVATION_EXPIRY_BATCH_SIZE } = options;
  return inReadCommittedTransaction(db, async (tx) => {
    const { orderIds, lockedAt } = await lockExpiredReservations(tx, ttlMinutes, batchSize);
    if (orderIds.length === 0 || !lockedAt) return [];
    await tx.query([
      restoreStockOfOrdersStatement(orderIds),
      markOrdersCanceledStatement(orderIds, lockedAt, {
        source: 'RESERVATION_EXPIRY',
        reason: reservationExpiredReason(ttlMinutes),
      }),
    ]);
    return orderIds;
  });
}

/**
 * Cancels every expired reservation, batch after batch until one comes back short (or
 * `shouldStop` says so), logging each order id once its batch is committed. Several
 * replicas may run it at once: each order is canceled by exactly one of them.
 */
export async function expireReservations(
  db: Database,
  logger: Logger,
  options: ReservationExpiryOptions & { shouldStop?: () => boolean },
): Promise<number[]> {
  const batchSize = options.batchSize ?? RESERVATION_EXPIRY_BATCH_SIZE;
  const { metrics } = options;
  const canceled: number[] = [];
  try {
    for (;;) {
      const orderIds = await expireReservationBatch(db, { ...options, batchSize });
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
      canceled.push(...orderIds);
      if (orderIds.length < batchSize || options.shouldStop?.()) break;
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
    const sweepLogger = jobLogger.child({ correlationId: randomUUID() });
    try {
      const canceled = await expireReservations(db, sweepLogger, { ...options, shouldStop: () => isStopped });
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
