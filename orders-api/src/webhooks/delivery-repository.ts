import {
  readCommittedTransaction,
  retryingConflicts,
  sql,
  type Database,
  type Queryable,
} from '@b2b/service-kit';

/** A delivery a worker has leased: what its attempt needs (endpoint, secrets, payload). */
export interface LeasedDelivery {
  id: number;
  endpointId: number;
  eventId: string;
  eventType: string;
  /** The envelope JSON exactly as published: the body sent. */
  payload: string;
  /** Attempts made before this one. */
  attempts: number;
  /** Seconds since the delivery was created (database clock). */
  ageSeconds: number;
  url: string;
  secret: string;
  /** The previous secret while its overlap lasts (database clock), else null. */
  previousSecret: string | null;
}

/** What one attempt came to, as webhook_attempts keeps it. */
export interface AttemptRecord {
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

/** What becomes of the delivery after an attempt. */
export type AttemptOutcome =
  | { status: 'SUCCEEDED' }
  | { status: 'FAILED'; disableEndpoint: string | null }
  | { status: 'PENDING'; delayMs: number };

/** Only these endpoints receive: enabled and not deleted. */
const LIVE_ENDPOINT = sql`
  d.endpoint_id IN (SELECT e.id FROM webhook_endpoints e WHERE e.enabled = 1 AND e.deleted_at IS NULL)
`;

/**
 * Fan-out of a batch of events, in one statement: one PENDING delivery per event and per enabled,
 * non-deleted endpoint subscribed to its type, due after `firstDelayMs`. INSERT IGNORE on
 * (endpoint_id, event_id): a redelivered message adds nothing. Returns how many deliveries were
 * added.
 */
export async function insertDeliveries(
  db: Queryable,
  events: Array<{ id: string; type: string; payload: string }>,
  firstDelayMs: number,
): Promise<number> {
  if (events.length === 0) return 0;
  // A derived table of the batch (UNION ALL: the same on MySQL 8 and MariaDB).
  const batch = sql.join(
    events.map(
      (event) =>
        sql`SELECT ${event.id} AS event_id, ${event.type} AS event_type, ${event.payload} AS payload`,
    ),
    sql` UNION ALL `,
  );
  const result = (await db.query(sql`
    INSERT IGNORE INTO webhook_deliveries
      (endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT e.id, v.event_id, v.event_type, v.payload, 'PENDING', 0,
      NOW(3) + INTERVAL ${Math.round(firstDelayMs * 1000)} MICROSECOND, NOW(3), NOW(3)
    FROM (${batch}) v
    JOIN webhook_endpoints e
      ON e.enabled = 1 AND e.deleted_at IS NULL AND JSON_CONTAINS(e.event_types, JSON_QUOTE(v.event_type))
  `)) as unknown as { affectedRows?: number };
  return Number(result.affectedRows ?? 0);
}

/**
 * Leases up to `limit` due deliveries (PENDING, next_attempt_at ≤ NOW(3), no live lease, endpoint
 * live) in one short transaction: `FOR UPDATE SKIP LOCKED` so concurrent workers take different
 * rows, and locked_until = NOW(3) + `leaseMs` so no other worker takes them until the attempt is
 * recorded or the lease runs out (a dead worker's deliveries are taken again then).
 */
export async function leaseDueDeliveries(
  db: Database,
  limit: number,
  leaseMs: number,
): Promise<LeasedDelivery[]> {
  return retryingConflicts(() =>
    readCommittedTransaction(db, async (tx) => {
      const due = (await tx.query(sql`
        SELECT d.id FROM webhook_deliveries d
        WHERE d.status = 'PENDING' AND d.next_attempt_at <= NOW(3)
          AND (d.locked_until IS NULL OR d.locked_until < NOW(3))
          AND ${LIVE_ENDPOINT}
        ORDER BY d.next_attempt_at, d.id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      `)) as Array<{ id: number | string }>;
      if (due.length === 0) return [];
      const ids = sql.join(
        due.map((row) => sql`${Number(row.id)}`),
        sql`, `,
      );
      const [, rows] = await tx.query([
        sql`
          UPDATE webhook_deliveries
          SET locked_until = NOW(3) + INTERVAL ${Math.round(leaseMs * 1000)} MICROSECOND
          WHERE id IN (${ids})
        `,
        sql`
          SELECT d.id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempts,
            TIMESTAMPDIFF(MICROSECOND, d.created_at, NOW(3)) / 1e6 AS age_seconds,
            e.url, e.secret,
            CASE WHEN e.previous_secret_expires_at > NOW(3) THEN e.previous_secret END AS previous_secret
          FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
          WHERE d.id IN (${ids})
          ORDER BY d.next_attempt_at, d.id
        `,
      ]);
      return (rows as DeliveryRow[]).map(toLeased);
    }),
  );
}

interface DeliveryRow {
  id: number | string;
  endpoint_id: number | string;
  event_id: string;
  event_type: string;
  payload: string | object;
  attempts: number | string;
  age_seconds: number | string;
  url: string;
  secret: string;
  previous_secret: string | null;
}

function toLeased(row: DeliveryRow): LeasedDelivery {
  return {
    id: Number(row.id),
    endpointId: Number(row.endpoint_id),
    eventId: row.event_id,
    eventType: row.event_type,
    payload: typeof row.payload === 'string' ? row.payload : JSON.stringify(row.payload),
    attempts: Number(row.attempts),
    ageSeconds: Number(row.age_seconds),
    url: row.url,
    secret: row.secret,
    previousSecret: row.previous_secret,
  };
}

/**
 * Records attempt number `delivery.attempts + 1` and what follows from it, in one transaction;
 * `recorded: false` (nothing written) when the lease was lost: another worker recorded this attempt
 * already. `endpointDisabled`: this call disabled the endpoint (it was enabled).
 */
export async function recordAttempt(
  db: Database,
  delivery: LeasedDelivery,
  attempt: AttemptRecord,
  outcome: AttemptOutcome,
): Promise<{ recorded: boolean; endpointDisabled: boolean }> {
  return retryingConflicts(() =>
    readCommittedTransaction(db, async (tx) => {
      const next =
        outcome.status === 'PENDING'
          ? sql`NOW(3) + INTERVAL ${Math.round(outcome.delayMs * 1000)} MICROSECOND`
          : sql`NULL`;
      const updated = (await tx.query(sql`
        UPDATE webhook_deliveries
        SET attempts = attempts + 1, status = ${outcome.status}, next_attempt_at = ${next},
          locked_until = NULL, updated_at = NOW(3)
        WHERE id = ${delivery.id} AND attempts = ${delivery.attempts} AND status = 'PENDING'
      `)) as unknown as { affectedRows?: number };
      if (Number(updated.affectedRows ?? 0) === 0) return { recorded: false, endpointDisabled: false };
      const statements = [
        sql`
          INSERT INTO webhook_attempts
            (delivery_id, attempt_number, attempted_at, response_status, duration_ms, error, response_excerpt)
          VALUES (${delivery.id}, ${delivery.attempts + 1}, NOW(3) - INTERVAL ${attempt.durationMs * 1000} MICROSECOND,
            ${attempt.responseStatus}, ${attempt.durationMs}, ${attempt.error}, ${attempt.responseExcerpt})
        `,
      ];
      if (outcome.status === 'FAILED' && outcome.disableEndpoint !== null) {
        statements.push(sql`
          UPDATE webhook_endpoints
          SET enabled = 0, disabled_reason = ${outcome.disableEndpoint}, updated_at = NOW(3)
          WHERE id = ${delivery.endpointId} AND enabled = 1
        `);
      }
      const results = (await tx.query(statements)) as unknown as Array<{ affectedRows?: number }>;
      return { recorded: true, endpointDisabled: Number(results[1]?.affectedRows ?? 0) > 0 };
    }),
  );
}

/** Seconds since the oldest PENDING delivery of a live endpoint was created (database clock), 0 when none. */
export async function oldestPendingAgeSeconds(db: Queryable): Promise<number> {
  const [row] = (await db.query(sql`
    SELECT TIMESTAMPDIFF(MICROSECOND, MIN(d.created_at), NOW(3)) / 1e6 AS age_seconds
    FROM webhook_deliveries d
    WHERE d.status = 'PENDING' AND ${LIVE_ENDPOINT}
  `)) as Array<{ age_seconds: string | number | null }>;
  return row?.age_seconds == null ? 0 : Math.max(0, Number(row.age_seconds));
}

/** Deletes deliveries created more than `retentionDays` ago, and their attempts, `batch` at a time; how many deliveries. */
export async function deleteExpiredDeliveries(
  db: Database,
  retentionDays: number,
  batch: number,
  isStopped: () => boolean,
): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = (await db.query(sql`
      SELECT id FROM webhook_deliveries
      WHERE created_at < NOW(3) - INTERVAL ${retentionDays} DAY
      ORDER BY id LIMIT ${batch}
    `)) as Array<{ id: number | string }>;
    if (rows.length === 0) return total;
    const ids = sql.join(
      rows.map((row) => sql`${Number(row.id)}`),
      sql`, `,
    );
    await readCommittedTransaction(db, (tx) =>
      tx.query([
        sql`DELETE FROM webhook_attempts WHERE delivery_id IN (${ids})`,
        sql`DELETE FROM webhook_deliveries WHERE id IN (${ids})`,
      ]),
    );
    total += rows.length;
    if (rows.length < batch || isStopped()) return total;
  }
}
