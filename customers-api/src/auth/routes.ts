import { Router } from 'express';
import type { AuthConfig, Database, JsonRequestBody } from '@b2b/service-kit';
import type { operations } from '../../../generated/customers';
import { issueOperatorToken } from './operators';

export function authRoutes(options: { db: Database; auth: AuthConfig; tokenTtlSeconds: number }): Router {
  const router = Router();

  router.post('/auth/token', async (request, response) => {
    const credentials = request.body as JsonRequestBody<operations['issueToken']>;
    const token = await issueOperatorToken(options.db, options.auth, credentials, options.tokenTtlSeconds);
    // A token must not end up in a shared cache.
    response.set('Cache-Control', 'no-store').json(token);
  });

  return router;
}
