import { CORS_MAX_AGE_SECONDS, CORS_REQUEST_HEADERS, CORS_RESPONSE_HEADERS } from '@b2b/service-kit';
import { headerValue, type ApiGatewayProxyEvent, type ApiGatewayProxyResult } from './http-event';

/**
 * Cross-origin access to the orchestrator, by the APIs' policy (service-kit createServiceApp,
 * the `cors` package): off unless CORS_ALLOWED_ORIGINS lists the page's origin; a listed one
 * may send Authorization, Content-Type, X-Correlation-Id and X-Idempotency-Key, may read
 * X-Correlation-Id, Location, Idempotent-Replayed and Retry-After, caches the preflight for
 * 600 s, and never gets `Access-Control-Allow-Credentials` (the token travels in a header).
 *
 * Why the handler and not API Gateway's `cors:` in serverless.yml: the http event has no
 * `cors:`, so API Gateway adds no CORS header to any answer, and a preflight (OPTIONS, the
 * second http event) reaches this function like any other request. Then one piece of code
 * decides, on AWS and under serverless-offline alike (patched so that it adds no CORS
 * headers of its own: patches/serverless-offline+13.9.0.patch), from the one variable the
 * orchestrator validates as the APIs do (`*` and non-origins refused at cold start). With
 * `cors:` the preflight would be API Gateway's mock integration, fed a list serverless.yml
 * cannot validate, while the real answers still needed the headers from here, and
 * serverless-offline imitates `cors:` with hapi's CORS rather than API Gateway's.
 */

/** The orchestrator's one path takes POST; OPTIONS is the preflight. */
const ALLOWED_METHODS = ['POST'];
const ALLOW = ['OPTIONS', ...ALLOWED_METHODS].join(', ');

export type EventHandler = (event: ApiGatewayProxyEvent) => Promise<ApiGatewayProxyResult>;

/** The allow-list's verdict on the request's Origin: the origin to allow, if any. */
function allowedOrigin(allowedOrigins: readonly string[], event: ApiGatewayProxyEvent): string | undefined {
  const origin = headerValue(event, 'Origin');
  return origin !== undefined && allowedOrigins.includes(origin) ? origin : undefined;
}

/**
 * `Vary: Origin` whenever an allow-list exists (the answer then depends on the Origin, as
 * the `cors` package says to caches), and the allow headers only for a listed origin.
 */
function corsHeaders(
  allowedOrigins: readonly string[],
  event: ApiGatewayProxyEvent,
  kind: 'preflight' | 'answer',
): Record<string, string> {
  if (allowedOrigins.length === 0) return {};
  const origin = allowedOrigin(allowedOrigins, event);
  if (origin === undefined) return { Vary: 'Origin' };
  const allowed = { Vary: 'Origin', 'Access-Control-Allow-Origin': origin };
  return kind === 'answer'
    ? { ...allowed, 'Access-Control-Expose-Headers': CORS_RESPONSE_HEADERS.join(',') }
    : {
        ...allowed,
        'Access-Control-Allow-Methods': ALLOWED_METHODS.join(','),
        'Access-Control-Allow-Headers': CORS_REQUEST_HEADERS.join(','),
        'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
      };
}

/**
 * Every OPTIONS is answered 204 with `Allow` (RFC 9110 §9.3.7), and is a preflight's answer
 * for a listed origin only, as the APIs' `cors` middleware answers it. The browser itself
 * checks the asked-for method and headers against the ones allowed.
 */
function optionsResult(
  allowedOrigins: readonly string[],
  event: ApiGatewayProxyEvent,
): ApiGatewayProxyResult {
  return {
    statusCode: 204,
    headers: {
      Allow: ALLOW,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...corsHeaders(allowedOrigins, event, 'preflight'),
    },
    body: '',
  };
}

/** The handler, with the CORS policy of `allowedOrigins` on every answer and the preflight answered. */
export function withCors(allowedOrigins: readonly string[], handler: EventHandler): EventHandler {
  return async (event) => {
    if (event.httpMethod.toUpperCase() === 'OPTIONS') return optionsResult(allowedOrigins, event);
    const result = await handler(event);
    const { Vary: vary, ...cors } = corsHeaders(allowedOrigins, event, 'answer');
    const headers = { ...result.headers, ...cors };
    // A Vary the handler set itself is kept, with Origin added to it.
    if (vary) headers.Vary = result.headers.Vary ? `${result.headers.Vary}, ${vary}` : vary;
    return { ...result, headers };
  };
}
