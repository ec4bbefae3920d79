import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Logger } from '../logger';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../problem';
import { correlationIdFrom } from '../request-context';
import { CORRELATION_HEADER } from './correlation';

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

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

/** Listens on host:port (0 picks a free port) and resolves once the server accepts connections. */
export function listen(app: Express, options: { host?: string; port?: number } = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port ?? 0, host);
    server.on('clientError', answerClientError);
    server.once('error', reject);
    server.once('listening', () => {
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
      });
    });
  });
}

/**
 * Starts a service for real: listens, warms the contract validator (its first request
 * compiles the whole document), and on SIGTERM or SIGINT stops accepting connections,
 * lets in-flight requests finish, then runs `onShutdown` (close the pool) and exits.
 */
export async function runHttpServer(
  app: Express,
  options: { name: string; host: string; port: number; logger: Logger; onShutdown: () => Promise<void> },
): Promise<RunningServer> {
  const { logger } = options;
  let running: RunningServer;
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
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const forceExit = setTimeout(() => {
      logger.warn('in-flight requests did not finish within 10 s; exiting');
      process.exit(1);
    }, 10_000);
    forceExit.unref();
    await running.close().catch((error) => logger.error({ err: error }, 'error while closing the server'));
    await options.onShutdown().catch((error) => logger.error({ err: error }, 'error during shutdown'));
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return running;
}
