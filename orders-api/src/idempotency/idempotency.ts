import { createHash } from 'node:crypto';
import { Conflict, isDuplicateKey, type Database, type Logger } from '@b2b/service-kit';
import {
  deleteExpiredIdempotencyKeys,
  deleteInProgressIdempotencyKey,
  deleteStaleIdempotencyKey,
  findIdempotencyKey,
  type IdempotencyKeyId,
} from './idempotency-repository';

/** Keys are scoped per operation: one key value may serve order creation and confirmation. */
export type IdempotencyScope = 'create_order' | 'confirm_order';

export interface IdempotentRequest extends IdempotencyKeyId {
  scope: IdempotencyScope;
  /** sha256 of the request in canonical JSON: tells a retry from a reuse of the key. */
  fingerprint: string;
}

/** A response as sent: exact body text, so a replay is byte for byte the first response. */
export interface JsonTextResponse {
  status: number;
  body: string;
  targetId: number;
  isReplay: boolean;
}

export type ClaimOutcome<Result> =
  { kind: 'claimed'; result: Result } | { kind: 'replay'; response: JsonTextResponse };

/** A key is released and expired rows are deleted between claims, so a few attempts always suffice. */
const CLAIM_ATTEMPTS = 3;
const CLEANUP_BATCH_SIZE = 1000;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, entry]) => `${JSON.stringify(name)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function idempotentRequest(scope: IdempotencyScope, key: string, request: unknown): IdempotentRequest {
  const fingerprint = createHash('sha256').update(canonicalJson(request)).digest('hex');
  return { scope, key, fingerprint };
}

/**
 * Reads the record that made a claim fail. Returns the stored response to replay, or
 * undefined when the key is free again (released by a failed request, or expired or
 * abandoned and now deleted) and the claim should be retried.
 */
async function storedResponseOf(
  db: Database,
  request: IdempotentRequest,
): Promise<JsonTextResponse | undefined> {
  const record = await findIdempotencyKey(db, request);
  if (!record) return undefined;
  if (record.isStale) {
    await deleteStaleIdempotencyKey(db, request);
    return undefined;
  }
  if (record.fingerprint !== request.fingerprint) {
    throw new Conflict(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency key ${request.key} was already used for a different request.`,
    );
  }
  const { status, responseStatus, responseBody, targetId } = record;
  if (status === 'IN_PROGRESS' || responseStatus === null || responseBody === null || targetId === null) {
    throw keyInProgress(request);
  }
  return { status: responseStatus, body: responseBody, targetId, isReplay: true };
}

function keyInProgress(request: IdempotentRequest): Conflict {
  return new Conflict(
    'IDEMPOTENCY_KEY_IN_PROGRESS',
    `A request with idempotency key ${request.key} is still in progress; retry later.`,
  );
}

/**
 * Runs `claim`, which inserts the key's row (alone, or as the first statement of a
 * transaction). When the key is taken (errno 1062) the earlier request decides: its stored
 * response is replayed, or the call is rejected as a reuse or as still in progress.
 */
export async function claimOrReplay<Result>(
  db: Database,
  request: IdempotentRequest,
  claim: () => Promise<Result>,
): Promise<ClaimOutcome<Result>> {
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    try {
      return { kind: 'claimed', result: await claim() };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const response = await storedResponseOf(db, request);
    if (response) return { kind: 'replay', response };
  }
  throw keyInProgress(request);
}

/** Frees the key of a request that failed: only successful responses are stored. */
export async function releaseIdempotencyKey(db: Database, request: IdempotentRequest): Promise<void> {
  await deleteInProgressIdempotencyKey(db, request);
}

/** Deletes every expired key, one bounded batch at a time. Returns how many were deleted. */
export async function purgeExpiredIdempotencyKeys(db: Database): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteExpiredIdempotencyKeys(db, CLEANUP_BATCH_SIZE);
    total += deleted;
    if (deleted < CLEANUP_BATCH_SIZE) return total;
  }
}

/** Purges expired keys every `intervalMs`; the timer never keeps the process alive. Returns a stop function. */
export function scheduleIdempotencyKeyCleanup(db: Database, logger: Logger, intervalMs = 60_000): () => void {
  const timer = setInterval(() => {
    purgeExpiredIdempotencyKeys(db).then(
      (deleted) => {
        if (deleted > 0) logger.info({ deleted }, 'expired idempotency keys deleted');
      },
      (error: unknown) => logger.warn({ err: error }, 'could not delete expired idempotency keys'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
