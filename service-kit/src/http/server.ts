import { createServer, IncomingMessage, ServerResponse, STATUS_CODES, type Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Express, Request, Response } from 'express';
import type { HttpTimeouts } from '../config';
import type { Logger } from '../logger';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../problem';
import { correlationIdFrom } from '../request-context';
import { CORRELATION_HEADER } from './correlation';

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'REQUEST_HEADERS_TOO_LARGE',
    detail: 'The request headers are larger than the server accepts (16 kB in all).',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'REQUEST_TIMEOUT',
    detail: 'The request was not received in time.',
  },
};

/**
 * Requests Node's HTTP parser refuses never reach Express: answer them as problem+json
 * too (431 for headers over the limit, 400 for a malformed request) instead of Node's
 * bare status line, then close the connection, as the parser state is lost.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const { status, code, detail } = CLIENT_ERRORS[error.code ?? ''] ?? {
    status: 400,
    code: 'MALFORMED_REQUEST',
    detail: 'The request is not valid HTTP/1.1.',
  };
  const correlationId = correlationIdFrom(undefined);
  const body = JSON.stringify(buildProblem({ status, code, detail, correlationId }));
  socket.end(
    [
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
      `Content-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      `${CORRELATION_HEADER}: ${correlationId}`,
      'X-Content-Type-Options: nosniff',
      'Cache-Control: no-store',
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

/** Node's defaults hold an idle or slow client ~88 s; these are the documented defaults of HTTP_*_TIMEOUT_MS. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5000,
};

/**
 * How often Node checks the headers and request timeouts (its default, 30 s, is what made a
 * slow client wait up to 60 + 30 s). The check walks the open connections once: cheap.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * After SIGTERM, how long idle keep-alive connections stay open before they are closed. A
 * client that has just received an answer may already be sending its next request on that
 * connection: closing it at once would reset that request. Within this linger such a
 * request arrives, is served, and its answer says `Connection: close`.
 */
const IDLE_CONNECTION_LINGER_MS = 500;

/** How long the answers given to requests cut off at the shutdown deadline may take to go out. */
const CUT_OFF_FLUSH_MS = 1000;

export interface ListenOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default DEFAULT_HTTP_TIMEOUTS. */
  timeouts?: HttpTimeouts;
}

export interface DrainOptions {
  /** How long in-flight requests may take to finish, in ms. */
  graceMs: number;
  logger: Logger;
  /**
   * Runs at the deadline when requests are still in flight, before they are answered 503
   * (e.g. releasing the idempotency claims they hold, so a retry elsewhere is not refused).
   */
  onDeadline?: () => Promise<void>;
}

export interface DrainOutcome {
  /** Requests still running at the deadline, answered 503 SERVICE_SHUTTING_DOWN or cut. */
  cutOff: number;
}

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting connections, closes the idle ones, and resolves when the rest have closed. */
  close(): Promise<void>;
}

/** A server started by `listen`: it can also drain. */
export interface DrainableServer extends RunningServer {
  /**
   * Graceful drain (what SIGTERM runs): `/health` answers 503, no new connections are
   * accepted, every answer from now on carries `Connection: close`, idle keep-alive
   * connections are closed after a short linger and as they become idle, and in-flight
   * requests get up to `graceMs` to finish. Requests still running then are answered 503
   * problem+json (SERVICE_SHUTTING_DOWN, Retry-After: 1) when their headers have not gone
   * out yet, and every connection is closed. Never rejects.
   */
  drain(options: DrainOptions): Promise<DrainOutcome>;
}

/** True once the app's server has started draining (`/health` answers 503 from then on). */
export function isShuttingDown(app: Pick<Express, 'locals'>): boolean {
  return app.locals.isShuttingDown === true;
}

/**
 * The request and response classes the server is to build, made so that each request and
 * response is born with the app's own prototype (`app.request`, `app.response`). Express 5
 * otherwise re-points the prototype of both on every request (`Object.setPrototypeOf` in
 * `app.handle`, kept for mounting one app inside another, which we never do). On V8 that swap
 * deoptimises every property access on them and keeps each request's objects alive through
 * young-generation collections, so they are promoted and left to full collections: measured on
 * the Orders API, GET /products/{id} went from ~600 to ~330 µs of CPU per request, and the
 * heap promoted per request from ~21 to ~7 KiB. With the prototypes already right, Express's
 * `setPrototypeOf` changes nothing (a second `listen` of the same app stays correct, only
 * the first server's requests are swapped again). The remedy the Express issue proposes:
 * https://github.com/expressjs/express/issues/5998 (and nodejs/node#37457).
 */
function messageClassesOf(app: Express) {
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.request = AppRequest.prototype as Request;
  app.response = AppResponse.prototype as unknown as Response;
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse };
}

/**
 * Listens on host:port and resolves once the server accepts connections. The server has
 * deliberate timeouts (`timeouts`), and keeps track of the requests in flight for `drain`.
 */
export function listen(app: Express, options: ListenOptions = {}): Promise<DrainableServer> {
  const host = options.host ?? '127.0.0.1';
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const inFlight = new Set<ServerResponse>();
  let isDraining = false;

  const server = createServer(
    {
      ...messageClassesOf(app),
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    (request, response) => {
      inFlight.add(response);
      response.once('close', () => inFlight.delete(response));
      if (isDraining) response.setHeader('Connection', 'close');
      app(request, response);
    },
  );
  server.keepAliveTimeout = timeouts.keepAliveTimeoutMs;
  server.on('clientError', answerClientError);

  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));

  const drain = async ({ graceMs, logger, onDeadline }: DrainOptions): Promise<DrainOutcome> => {
    isDraining = true;
    app.locals.isShuttingDown = true;
    for (const response of inFlight) {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    }
    // net.Server's close: stop accepting, but unlike http.Server's, leave idle keep-alive
    // connections open for the linger (a request may be on its way on them).
    NetServer.prototype.close.call(server);
    // Answers given during the drain close their connections themselves (Connection: close);
    // the sweep closes those idle since before it, and any an earlier answer leaves open.
    const lingerMs = Math.min(IDLE_CONNECTION_LINGER_MS, graceMs);
    const firstSweep = setTimeout(() => server.closeIdleConnections(), lingerMs);
    const sweeps = setInterval(() => server.closeIdleConnections(), Math.max(lingerMs, 100));
    logger.info({ inFlight: inFlight.size, graceMs }, 'draining: refusing new connections');

    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      deadlineTimer = setTimeout(() => resolve('deadline'), graceMs);
    });
    const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
    clearTimeout(deadlineTimer);
    clearTimeout(firstSweep);
    clearInterval(sweeps);
    if (outcome === 'closed') {
      logger.info('drained: every connection closed');
      return { cutOff: 0 };
    }

    const cutOff = inFlight.size;
    logger.warn({ inFlight: cutOff, graceMs }, 'shutdown deadline: cutting off the requests still in flight');
    if (cutOff > 0 && onDeadline) {
      await onDeadline().catch((error: unknown) =>
        logger.error({ err: error }, 'shutdown deadline step failed'),
      );
    }
    const answered = [...inFlight].map((response) => answerShuttingDown(response));
    await Promise.race([
      Promise.all(answered),
      new Promise((resolve) => setTimeout(resolve, CUT_OFF_FLUSH_MS)),
    ]);
    server.closeAllConnections();
    return { cutOff };
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        server,
        url: `http://${host}:${port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeIdleConnections();
          }),
        drain,
      });
    });
  });
}

/**
 * Answers a request cut off by the shutdown deadline: 503 problem+json with Connection: close
 * when nothing has been sent yet, else the connection is cut (a half-sent answer cannot be
 * completed). Resolves once the answer has gone out.
 */
function answerShuttingDown(response: ServerResponse): Promise<void> {
  if (response.headersSent) {
    response.destroy();
    return Promise.resolve();
  }
  const locals = (response as ServerResponse & { locals?: { correlationId?: string } }).locals;
  const correlationId = locals?.correlationId ?? correlationIdFrom(undefined);
  const body = JSON.stringify(
    buildProblem({
      status: 503,
      code: 'SERVICE_SHUTTING_DOWN',
      detail: 'The service is shutting down and could not finish this request in time. Retry it.',
      correlationId,
    }),
  );
  return new Promise((resolve) => {
    response.once('close', () => resolve());
    response.writeHead(503, {
      'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
      'Content-Length': Buffer.byteLength(body),
      [CORRELATION_HEADER]: correlationId,
      'Retry-After': '1',
      Connection: 'close',
    });
    response.end(body);
  });
}

export interface RunHttpServerOptions {
  name: string;
  host: string;
  port: number;
  logger: Logger;
  /** Default DEFAULT_HTTP_TIMEOUTS. */
  timeouts?: HttpTimeouts;
  /** SHUTDOWN_GRACE_MS: how long in-flight requests may take to finish after SIGTERM. Default 10 000. */
  shutdownGraceMs?: number;
  /** See DrainOptions.onDeadline. */
  onDeadline?: () => Promise<void>;
  /** Runs once no request is left (close the pool); bounded by SHUTDOWN_STEP_TIMEOUT_MS. */
  onShutdown: () => Promise<void>;
}

/** The longest `onShutdown` (closing the pool) may take before the process exits anyway. */
const SHUTDOWN_STEP_TIMEOUT_MS = 5000;

/**
 * Starts a service for real: listens, warms the contract validator (its first request
 * compiles the whole document), and on SIGTERM or SIGINT drains (RunningServer.drain: health
 * 503, no new connections, `Connection: close`, in-flight requests finish within
 * `shutdownGraceMs`), runs `onShutdown` (close the pool) and exits 0. Only a shutdown that
 * itself hangs past grace + SHUTDOWN_STEP_TIMEOUT_MS + 5 s exits 1. Every step is logged.
 */
export async function runHttpServer(app: Express, options: RunHttpServerOptions): Promise<DrainableServer> {
  const { logger } = options;
  const graceMs = options.shutdownGraceMs ?? 10_000;
  let running: DrainableServer;
  try {
    running = await listen(app, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      logger.fatal(
        `Port ${options.port} on ${options.host} is already in use: stop whatever holds it or set PORT.`,
      );
    } else {
      logger.fatal({ err: error }, 'could not start the HTTP server');
    }
    process.exit(1);
  }
  await fetch(`${running.url}/openapi.yaml`).catch(() => undefined);
  logger.info({ url: running.url }, `${options.name} listening`);

  let isShuttingDown = false;
  const shutdown = async (signal: string) => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    logger.info({ signal, graceMs }, 'shutting down');
    const hardStop = setTimeout(
      () => {
        logger.error('shutdown did not complete; exiting');
        process.exit(1);
      },
      graceMs + SHUTDOWN_STEP_TIMEOUT_MS + 5000,
    );
    hardStop.unref();
    const { cutOff } = await running.drain({ graceMs, logger, onDeadline: options.onDeadline });
    const closedPool = options.onShutdown().then(
      () => 'closed' as const,
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        return 'failed' as const;
      },
    );
    let stepTimer: NodeJS.Timeout | undefined;
    const step = await Promise.race([
      closedPool,
      new Promise<'timed-out'>((resolve) => {
        stepTimer = setTimeout(() => resolve('timed-out'), SHUTDOWN_STEP_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(stepTimer);
    if (step === 'closed') logger.info('resources closed');
    if (step === 'timed-out') logger.warn(`resources not closed within ${SHUTDOWN_STEP_TIMEOUT_MS} ms`);
    logger.info({ cutOff }, 'stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return running;
}
