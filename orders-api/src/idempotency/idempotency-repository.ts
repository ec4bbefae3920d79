import { insertedId, JsonText, sql, toSafeInteger, type Queryable } from '@b2b/service-kit';

/** A key as stored: the operation it serves, who sent it (`operator:<username>` or `service`) and its value. */
export interface IdempotencyKeyId {
  scope: string;
  owner: string;
  key: string;
}

export interface IdempotencyRecord {
  fingerprint: string;
  /** The stored response of a COMPLETED key; null while the key is IN_PROGRESS. */
  response: { status: number; body: JsonText<unknown>; targetId: number } | null;
  /** Expired, or an IN_PROGRESS claim older than any request can run: the key is free again. */
  isStale: boolean;
}

interface IdempotencyRow {
  request_fingerprint: string;
  status: 'IN_PROGRESS' | 'COMPLETED';
  target_id: string | null;
  response_status: number | null;
  response_body: string | null;
  is_stale: number | string;
}

/** Expired, or an IN_PROGRESS claim older than `abandonedAfterSeconds` (its process died mid-request). */
const isStale = (abandonedAfterSeconds: number) => sql`(expires_at < NOW(3)
  OR (status = 'IN_PROGRESS' AND created_at < NOW(3) - INTERVAL ${abandonedAfterSeconds} SECOND))`;

/**
 * Claims a key by inserting its row; the unique (scope, owner, key) index makes a second claim fail
 * with errno 1062, or wait until the first claim's transaction ends. expires_at is computed on
 * the database clock so every instance of the service agrees on it. Returns the row's id: it
 * names this claim, so completing or releasing it never touches a later claim of the same key.
 */
export async function insertIdempotencyKey(
  db: Queryable,
  input: IdempotencyKeyId & { targetType: string; fingerprint: string; ttlHours: number },
): Promise<number> {
  const result = await db.query(sql`
    INSERT INTO idempotency_keys (scope, owner, idempotency_key, target_type, request_fingerprint, status, expires_at)
    VALUES (${input.scope}, ${input.owner}, ${input.key}, ${input.targetType}, ${input.fingerprint}, 'IN_PROGRESS',
            NOW(3) + INTERVAL ${input.ttlHours} HOUR)
  `);
  return insertedId(result);
}

export async function findIdempotencyKey(
  db: Queryable,
  id: IdempotencyKeyId,
  abandonedAfterSeconds: number,
): Promise<IdempotencyRecord | undefined> {
  const [row] = (await db.query(sql`
    SELECT request_fingerprint, status, target_id, response_status, response_body,
           ${isStale(abandonedAfterSeconds)} AS is_stale
    FROM idempotency_keys
    WHERE scope = ${id.scope} AND owner = ${id.owner} AND idempotency_key = ${id.key}
  `)) as IdempotencyRow[];
  if (!row) return undefined;
  const { status, target_id: targetId, response_status: responseStatus, response_body: body } = row;
  const isCompleted = status === 'COMPLETED' && targetId !== null && responseStatus !== null && body !== null;
  return {
    fingerprint: row.request_fingerprint,
    response: isCompleted
      ? { status: responseStatus, body: JsonText.stored(body), targetId: toSafeInteger(targetId) }
      : null,
    isStale: Number(row.is_stale) === 1,
  };
}

/**
 * Stores the response with the claim. False when the claim is no longer there to complete
 * (released at a shutdown deadline, or taken over as abandoned): the caller must not commit.
 */
export async function completeIdempotencyKey(
  db: Queryable,
  claimId: number,
  response: { targetId: number; status: number; body: JsonText<unknown> },
): Promise<boolean> {
  const result = (await db.query(sql`
    UPDATE idempotency_keys
    SET status = 'COMPLETED', target_id = ${response.targetId},
        response_status = ${response.status}, response_body = ${response.body.text}
    WHERE id = ${claimId} AND status = 'IN_PROGRESS'
  `)) as unknown as { affectedRows?: number };
  return result.affectedRows === 1;
}

/** Releases a claim whose request failed, so the same key may be used again. */
export async function deleteInProgressIdempotencyKey(db: Queryable, claimId: number): Promise<void> {
  await db.query(sql`
    DELETE FROM idempotency_keys WHERE id = ${claimId} AND status = 'IN_PROGRESS'
  `);
}

/**
 * Deletes the claim a failed INSERT may yet have left (its answer was lost): the key's
 * IN_PROGRESS row for this very request (same fingerprint).
 */
export async function deleteUnconfirmedIdempotencyClaim(
  db: Queryable,
  id: IdempotencyKeyId & { fingerprint: string },
): Promise<void> {
  await db.query(sql`
    DELETE FROM idempotency_keys
    WHERE scope = ${id.scope} AND owner = ${id.owner} AND idempotency_key = ${id.key}
      AND request_fingerprint = ${id.fingerprint} AND status = 'IN_PROGRESS'
  `);
}

/** Frees an expired key, or a claim abandoned by a process that died mid-request. */
export async function deleteStaleIdempotencyKey(
  db: Queryable,
  id: IdempotencyKeyId,
  abandonedAfterSeconds: number,
): Promise<void> {
  await db.query(sql`
    DELETE FROM idempotency_keys
    WHERE scope = ${id.scope} AND owner = ${id.owner} AND idempotency_key = ${id.key} AND ${isStale(abandonedAfterSeconds)}
  `);
}

/** Deletes at most `limit` expired keys; small batches keep each statement's locks short. */
export async function deleteExpiredIdempotencyKeys(db: Queryable, limit: number): Promise<number> {
  const result = (await db.query(sql`
    DELETE FROM idempotency_keys WHERE expires_at < NOW(3) LIMIT ${limit}
  `)) as unknown as { affectedRows?: number };
  return result.affectedRows ?? 0;
}
