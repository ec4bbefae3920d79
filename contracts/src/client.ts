import createClient, { type Client } from 'openapi-fetch';

/** The header that carries a request's correlation id to every part it reaches. */
export const CORRELATION_HEADER = 'X-Correlation-Id';

export interface ClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` on every call. */
  bearerToken: string;
  /** Each call is aborted after this many milliseconds (a TimeoutError is thrown). */
  timeoutMs: number;
  /** The correlation id to send with each call (e.g. the current request's), if any. */
  correlationId?: () => string | undefined;
}

/**
 * A typed openapi-fetch client for one of our contracts: bearer token, correlation id and
 * a timeout on every call. A wrong path, body or missing parameter is a compile error.
 * Calls resolve with `{ data | error, response }` for every HTTP answer and reject only
 * when no answer came (timeout, network error; see `isTimeoutError`).
 */
export function createApiClient<Paths extends object>(options: ClientOptions): Client<Paths> {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl,
    fetch: (request) => fetch(request, { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  client.use({
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${options.bearerToken}`);
      const correlationId = options.correlationId?.();
      if (correlationId) request.headers.set(CORRELATION_HEADER, correlationId);
      return request;
    },
  });
  return client;
}

/** True for the error a call rejects with when its timeout fired. */
export function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
