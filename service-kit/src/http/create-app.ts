import cors from 'cors';
import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { middleware as openApiValidator } from 'express-openapi-validator';
import type { AuthConfig } from '../config';
import { securityHandlers } from '../auth';
import type { Database } from '../database';
import type { Logger } from '../logger';
import { correlationAndAccessLog } from './correlation';
import {
  createMetricsRegistry,
  databasePoolMetrics,
  httpMetrics,
  metricsRoute,
  type Registry,
} from './metrics';
import type { EventRelay } from '../event-relay';
import { opsRoutes } from './ops-routes';
import { problemHandler } from './problem-handler';
import {
  headAsGet,
  noBodyIsNoMediaType,
  refuseUnsupportedBodies,
  rejectRepeatedHeaders,
  rejectRepeatedQueryParameters,
  strictJsonBody,
} from './strict-edge';

export interface ServiceAppOptions {
  contract: OpenApiDocument;
  db: Database;
  auth: AuthConfig;
  logger: Logger;
  /** The service's own routes (a `contractRouter`), mounted after contract validation. */
  routes: Router;
  /** Turns a response that violates the contract into a 500: on in tests. */
  validateResponses?: boolean;
  /** Origins whose pages may call the API from a browser; none when empty or absent. */
  corsAllowedOrigins?: string[];
  /**
   * Where the request and database pool metrics go, served at GET /metrics with the API's
   * own (e.g. orders by transition). One registry per app; a new one when absent.
   */
  metrics?: Registry;
  /** What /health says of the events: the state of this process's event relay; `off` when it runs none. */
  eventRelay?: Pick<EventRelay, 'state'>;
}

/**
 * What browsers may send to, and read from, the APIs across origins, and how long they may
 * cache a preflight's answer. The orchestrator answers with the same (lambda-orchestrator/src/cors.ts).
 */
export const CORS_REQUEST_HEADERS: readonly string[] = [
  'Authorization',
  'Content-Type',
  'X-Correlation-Id',
  'X-Idempotency-Key',
];
export const CORS_RESPONSE_HEADERS: readonly string[] = [
  'X-Correlation-Id',
  'Location',
  'Idempotent-Replayed',
  'Retry-After',
];
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * Security headers on every answer (helmet): nosniff, no framing, no referrer, and a
 * Content-Security-Policy that lets a JSON answer load nothing; the Swagger UI page gets
 * one that allows this origin's scripts and styles. Nothing here is worth caching by a
 * shared cache (personal data, credentials): Cache-Control: no-store.
 */
function securityHeaders(): RequestHandler[] {
  const api = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  });
  const docs = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      frameAncestors: ["'none'"],
    },
  });
  return [
    helmet({ contentSecurityPolicy: false }),
    (request, response, next) => {
      response.setHeader('Cache-Control', 'no-store');
      (request.path.startsWith('/docs') ? docs : api)(request, response, next);
    },
  ];
}

/**
 * Builds an API the way every service here is built: request metrics (GET /metrics, behind
 * the contract's service-token security like the routes), correlation id and access log first,
 * security headers and CORS, the strict edge (repeated identity headers and query parameters, HEAD, the one
 * media type and no content coding, strict JSON), then every request validated (and authenticated) against the contract, then the
 * routes, and finally one handler that turns every error into problem+json. No `listen`
 * here: tests mount the app on an ephemeral port.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const metrics = options.metrics ?? createMetricsRegistry();
  app.use(httpMetrics(metrics, options.contract));
  databasePoolMetrics(metrics, options.db);
  app.use(correlationAndAccessLog(options.logger));
  app.use(securityHeaders());
  if (options.corsAllowedOrigins?.length) {
    app.use(
      cors({
        origin: options.corsAllowedOrigins,
        allowedHeaders: [...CORS_REQUEST_HEADERS],
        exposedHeaders: [...CORS_RESPONSE_HEADERS],
        maxAge: CORS_MAX_AGE_SECONDS,
      }),
    );
  }
  app.use(
    rejectRepeatedHeaders(),
    rejectRepeatedQueryParameters(),
    headAsGet(),
    noBodyIsNoMediaType(),
    refuseUnsupportedBodies(),
    strictJsonBody(),
  );
  app.use(
    openApiValidator({
      // The validator annotates the document it is given; each app gets its own copy.
      apiSpec: structuredClone(options.contract) as never,
      validateRequests: { allErrors: true },
      validateResponses: options.validateResponses ?? false,
      validateSecurity: { handlers: securityHandlers(options.auth) },
    }),
  );
  app.use(metricsRoute(metrics));
  app.use(opsRoutes({ contract: options.contract, db: options.db, eventRelay: options.eventRelay }));
  app.use(options.routes);
  app.use(problemHandler(options.logger));
  return app;
}
