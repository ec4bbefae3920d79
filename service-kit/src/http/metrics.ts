import { Router, type RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { databasePoolUsage, type Database } from '../database';

export { Counter, Registry };

/** The `operation` label of a request that matches no operation of the contract (404, 405). */
export const UNMATCHED_OPERATION = 'unmatched';

/**
 * A Prometheus registry for one app. Never prom-client's global registry: tests build
 * several apps in one process, and each must count only its own requests. With
 * `processMetrics`, prom-client's default metrics (CPU, memory, event loop lag, GC) are
 * collected too, on each scrape; servers turn them on, tests leave them off.
 */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  return registry;
}

const HTTP_LABELS = ['operation', 'method', 'status'] as const;

/** Methods labelled as they are; anything else becomes OTHER, so a client cannot add series. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Finds the contract operation a request path and method belong to: path templates become
 * anchored regular expressions once, per app. The label is the operationId, never the raw
 * path, so the number of series stays bounded whatever clients send.
 */
function operationMatcher(contract: OpenApiDocument): (method: string, path: string) => string {
  const operations = Object.entries(contract.paths).flatMap(([template, item]) => {
    const pattern = new RegExp(
      `^${template
        .split(/(\{[^}]+\})/)
        .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    );
    return Object.entries(item as Record<string, { operationId?: string }>)
      .filter(([, operation]) => typeof operation?.operationId === 'string')
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        pattern,
        operationId: operation.operationId!,
      }));
  });
  return (method, path) => {
    // HEAD is answered as the GET it stands for (strict-edge.ts).
    const routedAs = method === 'HEAD' ? 'GET' : method;
    const found = operations.find(
      (operation) => operation.method === routedAs && operation.pattern.test(path),
    );
    return found?.operationId ?? UNMATCHED_OPERATION;
  };
}

/**
 * Counts every answered request and observes its duration, labelled by the contract's
 * operationId (`unmatched` for a path or method the contract lacks), the method as received
 * and the status. Mount it first, so the duration covers every other middleware and the
 * status is the one sent. Requests whose client went away before the answer are not counted.
 */
export function httpMetrics(registry: Registry, contract: OpenApiDocument): RequestHandler {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered, by contract operation, method and status.',
    labelNames: HTTP_LABELS,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request reaching the app to the last byte of its answer handed to the OS, in seconds.',
    labelNames: HTTP_LABELS,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const operationOf = operationMatcher(contract);
  return (request, response, next) => {
    const startedAt = process.hrtime.bigint();
    // As received: HEAD is rewritten to GET further on, and routers change request.url.
    const method = KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
    const path = request.originalUrl.split('?')[0]!;
    response.on('finish', () => {
      const labels = { operation: operationOf(method, path), method, status: response.statusCode };
      requests.inc(labels);
      durations.observe(labels, Number(process.hrtime.bigint() - startedAt) / 1e9);
    });
    next();
  };
}

/**
 * Gauges of the database pool, read when scraped: operations holding a connection, waiting
 * for one, and the pool's size. Only a pool opened with statement timeouts (every server's)
 * counts its usage; for any other pool no gauge is registered.
 */
export function databasePoolMetrics(registry: Registry, db: Database): void {
  if (!databasePoolUsage(db)) return;
  const gauge = (
    name: string,
    help: string,
    read: (usage: NonNullable<ReturnType<typeof databasePoolUsage>>) => number,
  ) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(databasePoolUsage(db)!));
      },
    });
  gauge(
    'db_pool_connections_in_use',
    'Database operations holding one of the pool’s connections.',
    (usage) => usage.inUse,
  );
  gauge(
    'db_pool_requests_waiting',
    'Database operations waiting for a connection (all in use, or one being opened).',
    (usage) => usage.waiting,
  );
  gauge(
    'db_pool_connections_max',
    'The most connections the pool opens (DATABASE_POOL_SIZE).',
    (usage) => usage.size,
  );
}

/**
 * GET /metrics in Prometheus text format (0.0.4). Mount it after the contract validator:
 * the contract gives /metrics the serviceToken security scheme, so the validator has
 * refused every caller without the service token (401, or 403 for an operator JWT).
 */
export function metricsRoute(registry: Registry): Router {
  const router = Router();
  router.get('/metrics', async (_request, response) => {
    response.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
