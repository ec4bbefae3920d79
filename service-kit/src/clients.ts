import createClient, { type Client } from 'openapi-fetch';
import type { paths as CustomersPaths } from '../../generated/customers';
import type { paths as OrdersPaths } from '../../generated/orders';
import { CORRELATION_HEADER } from './http/correlation';
import { currentCorrelationId } from './request-context';

export interface ClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` on every call. */
  bearerToken: string;
  /** Each call is aborted after this long (a TimeoutError is thrown). */
  timeoutMs: number;
  /** Overrides the correlation id taken from the current request context. */
  correlationId?: () => string | undefined;
}

/**
 * A typed openapi-fetch client for one of our contracts: bearer token, correlation id of
 * the current request, and a timeout on every call.
 */
export function createApiClient<Paths extends object>(options: ClientOptions): Client<Paths> {
  const client = createClient<Paths>({
    baseUrl: options.baseUrl,
    fetch: (request) => fetch(request, { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  client.use({
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${options.bearerToken}`);
      const correlationId = (options.correlationId ?? currentCorrelationId)();
      if (correlationId) request.headers.set(CORRELATION_HEADER, correlationId);
      return request;
    },
  });
  return client;
}

export type CustomersClient = Client<CustomersPaths>;
export type OrdersClient = Client<OrdersPaths>;

export const createCustomersClient = (options: ClientOptions): CustomersClient =>
  createApiClient<CustomersPaths>(options);

export const createOrdersClient = (options: ClientOptions): OrdersClient =>
  createApiClient<OrdersPaths>(options);

/** True for the error a call throws when its timeout fired. */
export function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
