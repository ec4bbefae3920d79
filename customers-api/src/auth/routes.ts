import type { paths } from '@b2b/contracts/customers';
import type { ApiHandlers, AuthConfig, Database } from '@b2b/service-kit';
import { issueOperatorToken } from './operators';

export function authHandlers(options: {
  db: Database;
  auth: AuthConfig;
  tokenTtlSeconds: number;
}): Pick<ApiHandlers<paths>, '/auth/token'> {
  return {
    '/auth/token': {
      post: async ({ body }) => ({
        status: 200,
        body: await issueOperatorToken(options.db, options.auth, body, options.tokenTtlSeconds),
        // A token must not end up in a shared cache.
        headers: { 'Cache-Control': 'no-store' },
      }),
    },
  };
}
