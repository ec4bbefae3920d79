import type { paths } from '@b2b/contracts/customers';
import type { ApiHandlers } from '@b2b/service-kit';
import { issueOperatorToken, type LogIn } from './operators';

export function authHandlers(logIn: LogIn): Pick<ApiHandlers<paths>, '/auth/token'> {
  return {
    '/auth/token': {
      post: async ({ body, clientAddress }) => ({
        status: 200,
        body: await issueOperatorToken(logIn, body, clientAddress),
        // A token must not end up in a shared cache.
        headers: { 'Cache-Control': 'no-store' },
      }),
    },
  };
}
