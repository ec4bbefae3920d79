import createClient, { type Client, type Middleware } from 'openapi-fetch';
// Types only: @b2b/contracts' client factory sends through undici, which is Node's. Here the
// browser's own fetch carries the same typed calls.
import type { paths as CustomersPaths } from '@b2b/contracts/customers';
import type { paths as OrdersPaths } from '@b2b/contracts/orders';
import type { paths as OrchestratorPaths } from '@b2b/contracts/orchestrator';
import { randomId } from '../random-id';

/**
 * The only thing that differs from the contracts' `servers`: each API is reached through
 * the console's own origin, where its server forwards `/api/<name>/…` to the real API or to
 * its Prism mock (vite.config.ts). The bundle is the same either way.
 */
export const BASE_URLS = {
  customers: '/api/customers',
  orders: '/api/orders',
  orchestrator: '/api/orchestrator',
} as const;

export const CORRELATION_HEADER = 'X-Correlation-Id';

export interface ApiClients {
  customers: Client<CustomersPaths>;
  orders: Client<OrdersPaths>;
  orchestrator: Client<OrchestratorPaths>;
}

export interface SessionHooks {
  /** The operator's access token, if logged in. */
  token(): string | undefined;
  /** An API refused the token (expired, revoked, secret rotated): the operator must log in again. */
  onUnauthorized(): void;
}

/**
 * Every call carries the operator's token and a fresh correlation id, made here so that
 * support can find the call in the logs even when no answer came back. A call that gets no
 * answer at all resolves with a problem like any other failure, so screens branch on
 * `error` only and never need try/catch.
 */
export function createApiClients(session: SessionHooks): ApiClients {
  const middleware: Middleware = {
    onRequest({ request }) {
      const token = session.token();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      request.headers.set(CORRELATION_HEADER, randomId());
      return request;
    },
    onResponse({ request, response }) {
      // A 401 to a call without a token is a failed log-in, not an ended session.
      if (response.status === 401 && request.headers.has('Authorization')) session.onUnauthorized();
      return undefined;
    },
    onError({ request, error }) {
      return new Response(
        JSON.stringify({
          type: 'about:blank',
          title: 'No answer',
          status: 503,
          detail: `The console got no answer from its server (${error instanceof Error ? error.message : String(error)}). Check the network connection and that the console is still running, then try again.`,
          code: 'NO_ANSWER',
          correlationId: request.headers.get(CORRELATION_HEADER) ?? undefined,
        }),
        { status: 503, headers: { 'Content-Type': 'application/problem+json' } },
      );
    },
  };
  const customers = createClient<CustomersPaths>({ baseUrl: BASE_URLS.customers });
  const orders = createClient<OrdersPaths>({ baseUrl: BASE_URLS.orders });
  const orchestrator = createClient<OrchestratorPaths>({ baseUrl: BASE_URLS.orchestrator });
  for (const client of [customers, orders, orchestrator]) client.use(middleware);
  return { customers, orders, orchestrator };
}
