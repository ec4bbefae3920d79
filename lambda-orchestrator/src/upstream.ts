import { STATUS_CODES } from 'node:http';
import { isTimeoutError } from '@b2b/contracts/client';
import type { components } from '@b2b/contracts/orders';
import {
  Conflict,
  InputError,
  NotFound,
  UnknownReference,
  UpstreamFailed,
  UpstreamTimeout,
  type AppError,
  type Logger,
} from '@b2b/service-kit';
import type { RetryPolicy } from './config';

/** The one API the orchestrator calls (it checks the customer when an order is created). */
export type UpstreamName = 'Orders API';

/** The upstream steps of an orchestrator call, as its completion log line names them. */
export type UpstreamStep = 'createOrder' | 'confirmOrder' | 'orderLookup' | 'cancelOrder';

/**
 * How long each upstream step of one call took, in ms, its retries and backoff included; a
 * step that ran twice (the order read again) adds up. Steps that did not run are absent.
 */
export type StepDurations = Partial<Record<UpstreamStep, number>>;

export type UpstreamProblem = components['schemas']['Problem'];

/** Why a call gave no usable answer, even after its retries. */
export type UpstreamFailure =
  | { kind: 'timeout'; upstream: UpstreamName; timeoutMs: number }
  | { kind: 'unreachable'; upstream: UpstreamName; reason: string }
  | { kind: 'server-error'; upstream: UpstreamName; status: number };

/** An answer below 500 (success or refusal, for the caller to read), or a failure. */
export type UpstreamOutcome<Result> = { ok: true; result: Result } | { ok: false; failure: UpstreamFailure };

export interface UpstreamCall {
  upstream: UpstreamName;
  /** What the call does, for the logs ("create order"). */
  operation: string;
  /** The step it is, and where its duration is added. */
  step: UpstreamStep;
  durations: StepDurations;
  policy: RetryPolicy;
  timeoutMs: number;
  logger: Logger;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * "Full jitter" exponential backoff: a random delay up to base × 2^attempt (capped), so
 * retries of many Lambdas hitting the same struggling API spread out instead of arriving
 * in waves.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random = Math.random): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

function describeNetworkError(error: unknown): string {
  const { code, cause } = error as { code?: string; cause?: { code?: string; message?: string } };
  return code ?? cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

async function attemptOnce<Result extends { response: Response }>(
  call: () => Promise<Result>,
  options: UpstreamCall,
): Promise<UpstreamOutcome<Result>> {
  const { upstream } = options;
  try {
    const result = await call();
    const { status } = result.response;
    return status >= 500
      ? { ok: false, failure: { kind: 'server-error', upstream, status } }
      : { ok: true, result };
  } catch (error) {
    // openapi-fetch throws only what fetch throws: the timeout fired or the connection failed.
    if (isTimeoutError(error)) {
      return { ok: false, failure: { kind: 'timeout', upstream, timeoutMs: options.timeoutMs } };
    }
    return { ok: false, failure: { kind: 'unreachable', upstream, reason: describeNetworkError(error) } };
  }
}

/**
 * Calls an upstream API, retrying network errors, timeouts and 5xx answers with backoff.
 * Only for idempotent calls: every call the orchestrator makes is a read or carries an
 * idempotency key, so a retry after a lost answer never does the work twice.
 */
export async function callWithRetries<Result extends { response: Response }>(
  call: () => Promise<Result>,
  options: UpstreamCall,
): Promise<UpstreamOutcome<Result>> {
  const { policy, logger, step, durations } = options;
  const startedAt = performance.now();
  try {
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await attemptOnce(call, options);
      if (outcome.ok || attempt >= policy.retries) return outcome;
      const delayMs = backoffDelayMs(attempt, policy);
      logger.warn(
        {
          upstream: options.upstream,
          operation: options.operation,
          attempt: attempt + 1,
          failure: outcome.failure,
          delayMs,
        },
        `${options.operation} failed; retrying`,
      );
      await sleep(delayMs);
    }
  } finally {
    durations[step] = Math.round((durations[step] ?? 0) + performance.now() - startedAt);
  }
}

/** One line for logs and problem details: "503 Service Unavailable", "did not answer within 3000 ms". */
export function describeFailure(failure: UpstreamFailure): string {
  switch (failure.kind) {
    case 'timeout':
      return `the ${failure.upstream} did not answer within ${failure.timeoutMs} ms`;
    case 'unreachable':
      return `the ${failure.upstream} is unreachable (${failure.reason})`;
    case 'server-error':
      return `the ${failure.upstream} answered ${failure.status} ${STATUS_CODES[failure.status] ?? ''}`.trim();
  }
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** An API that is down or failing is 502; one that does not answer in time is 504. */
export function unavailableError(failure: UpstreamFailure): AppError {
  const detail = `${capitalized(describeFailure(failure))}.`;
  return failure.kind === 'timeout'
    ? new UpstreamTimeout('UPSTREAM_TIMEOUT', detail)
    : new UpstreamFailed('UPSTREAM_UNAVAILABLE', detail);
}

/** An answer the contract of the call does not lead us to expect (e.g. 401: our service token is wrong). */
export function unexpectedAnswerError(upstream: UpstreamName, operation: string, status: number): AppError {
  return new UpstreamFailed(
    'UPSTREAM_UNAVAILABLE',
    `The ${upstream} answered ${operation} with an unexpected ${status} ${STATUS_CODES[status] ?? ''}`.trim() +
      '.',
  );
}

/**
 * The Orders API's refusals of a new order, as the orchestrator's caller should see them:
 * same code, and the status our contract gives it (an unknown customer is 404 here, where
 * the Orders API says 422 because it is a reference in its body).
 */
export function orderRejectedError(status: number, problem: UpstreamProblem | undefined): AppError {
  const code = problem?.code ?? 'UPSTREAM_REJECTED';
  const detail = problem?.detail ?? `The Orders API refused the order (${status}).`;
  if (status === 400) return new InputError(code, detail, problem?.errors);
  // INSUFFICIENT_STOCK names its short lines in `errors` (body.items.<index>.qty): our
  // request's items are the Orders API's, index for index, so they hold as they are.
  if (status === 409) return new Conflict(code, detail, problem?.errors);
  if (status === 422 && code === 'CUSTOMER_NOT_FOUND') return new NotFound(code, detail);
  if (status === 422) return new UnknownReference(code, detail);
  return unexpectedAnswerError('Orders API', 'order creation', status);
}
