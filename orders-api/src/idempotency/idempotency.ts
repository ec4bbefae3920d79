import { createHash } from 'node:crypto';
import {
  causalReads,
  isDatabaseUnavailable,
  isDuplicateKey,
  isRetryableTransactionError,
  isOutcomeUnknown,
  toProblem,
  transactionWithRetry,
  Unavailable,
  type Database,
  type BatchedTransaction,
  type JsonText,
  type Logger,
  type Principal,
} from '@b2b/service-kit';
import { IdempotencyKeyInProgress, IdempotencyKeyReused } from '../errors';
import type { OrdersMetrics } from '../metrics';
import {
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  deleteInProgressIdempotencyKey,
  deleteStaleIdempotencyKey,
  deleteUnconfirmedIdempotencyClaim,
  findIdempotencyKey,
  insertIdempotencyKey,
  type IdempotencyKeyId,
} from './idempotency-repository';

/** Keys are scoped per operation: one key value may serve order creation and confirmation. */
export type IdempotencyScope = 'create_order' | 'confirm_order';

/**
 * Who a key belongs to: `operator:<username>` for an operator token, `service` for the
 * service token. The IETF idempotency draft makes a key unique per client: a key is looked up
 * only among its sender's own, so no caller can replay or block another's request.
 */
export function idempotencyKeyOwner(caller: Principal): string {
  return caller.kind === 'operator' ? `operator:${caller.username}` : 'service';
}

export interface IdempotencyOptions {
  scope: IdempotencyScope;
  /** Who sent the key (idempotencyKeyOwner). */
  owner: string;
  key: string;
  /** What identifies the request (body, path ids): a retry must send the same, or it is a reuse. */
  request: unknown;
  /** How long the stored response is replayed. */
  ttlHours: number;
  /** An IN_PROGRESS claim older than this was left by a process that died mid-request. */
  abandonedAfterSeconds: number;
  /** Where replays and refused keys are counted. */
  metrics: Pick<OrdersMetrics, 'idempotencyReplays' | 'idempotencyConflicts'>;
}

/** A response as sent: exact JSON text, so a replay is byte for byte the first response. */
export interface StoredResponse<Body> {
  status: number;
  body: JsonText<Body>;
  /** The resource the response is about (the order), recorded with the key. */
  targetId: number;
}

export interface IdempotentResponse<Body> extends StoredResponse<Body> {
  isReplay: boolean;
}

/**
 * The work an idempotency key guards: `prepare` runs first, outside any transaction and
 * holding no connection (e.g. a call to another API), and what it returns is handed to
 * `transaction`, the state change, whose response is stored with the key in this same
 * transaction, after the work's last statements (so their `commitWith` does not commit here).
 * Neither runs for a key whose response is stored: a retry is answered from the record
 * before anything is checked again.
 */
export interface IdempotentWork<Body, Prepared = void> {
  prepare: () => Promise<Prepared>;
  transaction: (tx: BatchedTransaction, prepared: Prepared) => Promise<StoredResponse<Body>>;
}

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

type Claim<Body> =
  { kind: 'claimed'; claimId: number } | { kind: 'replay'; response: IdempotentResponse<Body> };

/**
 * The claim of a request was released before the request could store its response (at a
 * shutdown deadline): its transaction is rolled back rather than committed without the key,
 * which would let a retry with the same key run it a second time.
 */
export class IdempotencyClaimReleased extends Unavailable {
  constructor(key: string) {
    super(
      'IDEMPOTENCY_CLAIM_RELEASED',
      `The request with idempotency key ${key} was stopped before it finished; nothing was written. Retry it.`,
    );
    this.headers = { 'Retry-After': '1' };
  }
}

/**
 * The claims held by requests running in this process, per pool: from the claim's INSERT
 * until its request stores its response or releases it. Read at a shutdown deadline.
 */
const heldClaims = new WeakMap<Database, Set<number>>();

function claimsHeldOn(db: Database): Set<number> {
  let claims = heldClaims.get(db);
  if (!claims) heldClaims.set(db, (claims = new Set()));
  return claims;
}

/**
 * Releases the claims of the requests still running on `db`, for a shutdown deadline: a
 * client retrying elsewhere is then served rather than refused as IDEMPOTENCY_KEY_IN_PROGRESS
 * until IDEMPOTENCY_ABANDONED_CLAIM_SECONDS. A request that goes on to finish finds its claim
 * gone and rolls back (IdempotencyClaimReleased). Returns how many claims were released.
 */
export async function releaseHeldIdempotencyClaims(db: Database): Promise<number> {
  const claims = [...claimsHeldOn(db)];
  const results = await Promise.allSettled(
    claims.map((claimId) => deleteInProgressIdempotencyKey(db, claimId)),
  );
  return results.filter((result) => result.status === 'fulfilled').length;
}

/**
 * Claims the key by inserting its row in a statement of its own. When the key is taken
 * (errno 1062; on a Galera cluster also 1213, when a claim of the same key through another
 * node was certified first, which a causal read then finds) the earlier request decides: its stored response is replayed, or the call
 * is refused at once as a reuse (another request) or as still in progress. An expired or
 * abandoned record is deleted and the claim tried again.
 */
async function claim<Body>(
  db: Database,
  id: IdempotencyKeyId & { fingerprint: string },
  options: IdempotencyOptions,
): Promise<Claim<Body>> {
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
    try {
      const claimId = await insertIdempotencyKey(db, {
        ...id,
        targetType: 'order',
        ttlHours: options.ttlHours,
      });
      return { kind: 'claimed', claimId };
    } catch (error) {
      if (isOutcomeUnknown(error)) {
        // The INSERT may have reached a server that carries it out later (frozen, or its
        // answer lost): make sure that claim does not outlive this failed request.
        void releaseClaim(
          () => deleteUnconfirmedIdempotencyClaim(db, id),
          Date.now() + options.abandonedAfterSeconds * 1000,
        );
      }
      if (!isDuplicateKey(error) && !isRetryableTransactionError(error)) throw error;
    }
    const record = await findIdempotencyKey(causalReads(db), id, options.abandonedAfterSeconds);
    if (!record) continue;
    if (record.isStale) {
      await deleteStaleIdempotencyKey(db, id, options.abandonedAfterSeconds);
      continue;
    }
    if (record.fingerprint !== id.fingerprint) throw new IdempotencyKeyReused(id.key);
    if (record.response === null) throw new IdempotencyKeyInProgress(id.key);
    return { kind: 'replay', response: { ...(record.response as StoredResponse<Body>), isReplay: true } };
  }
  throw new IdempotencyKeyInProgress(id.key);
}

/**
 * Runs `work` at most once per idempotency key and owner (IETF
 * draft-ietf-httpapi-idempotency-key-header): claim the key → replay the stored response, or refuse a reuse (409 IDEMPOTENCY_KEY_REUSED)
 * or a request still in flight (409 IDEMPOTENCY_KEY_IN_PROGRESS) → run → store the
 * response in the work's own transaction, or release the key when the work fails (only
 * successes are stored, so the client may retry with the same key; after a 5xx the release
 * finishes in the background). The claim is named by its row id: completing it fails, and
 * the transaction rolls back, if it was released meanwhile (shutdown deadline). Database
 * errors of the claim propagate; the work's own error is what the caller sees.
 */
export async function withIdempotency<Body, Prepared>(
  db: Database,
  options: IdempotencyOptions,
  work: IdempotentWork<Body, Prepared>,
): Promise<IdempotentResponse<Body>> {
  const fingerprint = createHash('sha256').update(canonicalJson(options.request)).digest('hex');
  const id = { scope: options.scope, owner: options.owner, key: options.key, fingerprint };
  const { scope, metrics } = options;
  const claimed = await claim<Body>(db, id, options).catch((error: unknown) => {
    if (error instanceof IdempotencyKeyReused || error instanceof IdempotencyKeyInProgress) {
      metrics.idempotencyConflicts.inc({ scope, code: error.code });
    }
    throw error;
  });
  if (claimed.kind === 'replay') {
    metrics.idempotencyReplays.inc({ scope });
    return claimed.response;
  }
  const { claimId } = claimed;
  const held = claimsHeldOn(db);
  held.add(claimId);
  try {
    const prepared = await work.prepare();
    const response = await transactionWithRetry(db, (tx) => work.transaction(tx, prepared), {
      beforeCommit: async (tx, stored) => {
        if (!(await completeIdempotencyKey(tx, claimId, stored))) throw new IdempotencyClaimReleased(id.key);
      },
    });
    return { ...response, isReplay: false };
  } catch (error) {
    // The request's own error is what the client sees. After a refusal (4xx) the key is free
    // before the answer goes, so the client may send the request again at once. After a
    // failure of ours or of a dependency (5xx) the database may well be what failed: the
    // answer goes now, within the request's bound, and the release follows (retried while
    // the database is unreachable); a retry meanwhile is told 409 IN_PROGRESS, Retry-After: 1.
    const release = releaseClaim(
      () => deleteInProgressIdempotencyKey(db, claimId),
      Date.now() + options.abandonedAfterSeconds * 1000,
    );
    if (toProblem(error).status < 500) await release;
    throw error;
  } finally {
    held.delete(claimId);
  }
}

/**
 * Releases the claim of a failed request (`release` deletes it). While the database is
 * unreachable it tries again, backing off from 0.5 to 2 s, until `giveUpAt` (by then the
 * claim counts as abandoned anyway), so that after an outage the key is free again within
 * seconds. Never rejects. A claim taken meanwhile by a retry and deleted here cannot make
 * the work run twice: that retry then fails to complete it and rolls back.
 */
async function releaseClaim(release: () => Promise<void>, giveUpAt: number): Promise<void> {
  for (let pauseMs = 500; ; pauseMs = Math.min(2 * pauseMs, 2000)) {
    try {
      await release();
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + pauseMs >= giveUpAt) return;
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs).unref());
  }
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
