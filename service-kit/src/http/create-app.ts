import express, { type Express, type Router } from 'express';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { middleware as openApiValidator } from 'express-openapi-validator';
import type { AuthConfig } from '../config';
import { securityHandlers } from '../auth';
import type { Database } from '../database';
import { BODY_LIMIT_BYTES } from '../errors';
import type { Logger } from '../logger';
import { correlationAndAccessLog } from './correlation';
import { opsRoutes } from './ops-routes';
import { problemHandler } from './problem-handler';

export interface ServiceAppOptions {
  contract: OpenApiDocument;
  db: Database;
  auth: AuthConfig;
  logger: Logger;
  /** The service's own routes (a `contractRouter`), mounted after contract validation. */
  routes: Router;
  /** Turns a response that violates the contract into a 500: on in tests. */
  validateResponses?: boolean;
}

/**
 * Builds an API the way every service here is built: correlation id and access log first,
 * then JSON parsing, then every request validated (and authenticated) against the
 * contract, then the routes, and finally one handler that turns every error into
 * problem+json. No `listen` here: tests mount the app on an ephemeral port.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(correlationAndAccessLog(options.logger));
  app.use(express.json({ limit: BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] }));
  app.use(
    openApiValidator({
      // The validator annotates the document it is given; each app gets its own copy.
      apiSpec: structuredClone(options.contract) as never,
      validateRequests: { allErrors: true },
      validateResponses: options.validateResponses ?? false,
      validateSecurity: { handlers: securityHandlers(options.auth) },
    }),
  );
  app.use(opsRoutes({ contract: options.contract, db: options.db }));
  app.use(options.routes);
  app.use(problemHandler(options.logger));
  return app;
}
