import createClient, { type Client } from 'openapi-fetch';
import { Agent, RetryAgent, request as sendRequest, type Dispatcher } from 'undici';

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

/** Statuses whose responses have no body (a Response refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * Sockets open at most to one origin at a time: a burst of calls beyond it waits in the
 * pool's queue (each call within its own timeout) instead of opening a socket each, which
 * costs memory on both sides and gains nothing from a single-threaded server.
 */
const CONNECTIONS_PER_ORIGIN = 32;

/**
 * One keep-alive connection pool per origin, shared by every client of this process.
 * A pooled socket that the server has just closed fails the next request with a reset:
 * such requests are sent again once on a fresh socket when their method is idempotent
 * (RFC 9110 §9.2.2). HTTP error statuses are never retried here; callers decide.
 */
const sharedDispatcher: Dispatcher = new RetryAgent(
  new Agent({ keepAliveTimeout: 4_000, connections: CONNECTIONS_PER_ORIGIN }),
  {
    maxRetries: 1,
    minTimeout: 0,
    statusCodes: [],
    errorCodes: ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'],
  },
);

/**
 * A WHATWG Response for an answer whose body undici has already read whole: `text()`,
 * `json()` and `arrayBuffer()` return it without going through a body stream (which costs
 * more CPU than the rest of the call); `body` and `clone()` still work, lazily, for
 * openapi-fetch middleware. The statuses that may not carry a body get a plain Response.
 */
function responseOf(status: number, headers: Headers, text: string): Response {
  if (NULL_BODY_STATUSES.has(status)) return new Response(null, { status, headers });
  const response = new Response(null, { status, headers });
  Object.defineProperties(response, {
    text: { value: async () => text },
    json: { value: async () => JSON.parse(text) as unknown },
    arrayBuffer: { value: async () => new TextEncoder().encode(text).buffer },
    body: { get: () => new Response(text).body },
    clone: { value: () => responseOf(status, headers, text) },
  });
  return response;
}

/** The headers of an undici answer as a WHATWG Headers. */
function headersOf(received: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(received)) {
    for (const item of Array.isArray(value) ? value : [value ?? '']) headers.append(name, item);
  }
  return headers;
}

/**
 * The transport under openapi-fetch: undici's `request` on the shared pool instead of the
 * WHATWG `fetch`, whose Request/Response streams cost ~0.8 ms of CPU per call here.
 */
function transport(timeoutMs: number) {
  return async (request: Request): Promise<Response> => {
    const answer = await sendRequest(request.url, {
      dispatcher: sharedDispatcher,
      method: request.method as Dispatcher.HttpMethod,
      headers: Object.fromEntries(request.headers),
      body: request.body === null ? undefined : await request.text(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return responseOf(answer.statusCode, headersOf(answer.headers), await answer.body.text());
  };
}

/**
 * A typed openapi-fetch client for one of our contracts: bearer token, correlation id and
 * a timeout on every call. A wrong path, body or missing parameter is a compile error.
 * Calls resolve with `{ data | error, response }` for every HTTP answer and reject only
 * when no answer came: a TimeoutError after `timeoutMs` (see `isTimeoutError`), or a
 * network error carrying its `code` (ECONNREFUSED, ECONNRESET, …).
 */
export function createApiClient<Paths extends object>(options: ClientOptions): Client<Paths> {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl,
    headers: { Authorization: `Bearer ${options.bearerToken}` },
    fetch: transport(options.timeoutMs),
  });
  // A middleware only where it is needed: openapi-fetch does more per call when it has one.
  const { correlationId } = options;
  if (correlationId) {
    client.use({
      onRequest({ request }) {
        const id = correlationId();
        if (id) request.headers.set(CORRELATION_HEADER, id);
        return request;
      },
    });
  }
  return client;
}

/** True for the error a call rejects with when its timeout fired. */
export function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
