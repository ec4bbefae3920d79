import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * What every log line and downstream call of one request needs to know. Kept in
 * AsyncLocalStorage so code deep in a use case logs and calls out with the right
 * correlation id without it being threaded through every signature.
 */
export interface RequestContext {
  correlationId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/** Accepts a caller's correlation id when it is well-formed, otherwise makes a new one. */
export function correlationIdFrom(candidate: string | undefined | null): string {
  return candidate && CORRELATION_ID_PATTERN.test(candidate) ? candidate : randomUUID();
}
