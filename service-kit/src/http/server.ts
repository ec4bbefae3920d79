import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from '../logger';

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free port) and resolves once the server accepts connections. */
export function listen(app: Express, options: { host?: string; port?: number } = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = app.listen(options.port ?? 0, host);
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
