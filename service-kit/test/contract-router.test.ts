import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { document as ordersDocument, type paths as OrdersPaths } from '@b2b/contracts/orders';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { contractRouter, JsonText, listen, type ApiHandlers, type RunningServer } from '../src';
import { httpClient } from '../src/testing';

/** A two-operation contract, enough to see parameters and bodies reach a handler. */
const document: OpenApiDocument = {
  openapi: '3.0.3',
  info: { title: 'fixture', version: '1' },
  paths: {
    '/things/{id}': {
      parameters: [{ $ref: '#/components/parameters/ThingId' }],
      get: {
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
          { name: 'X-Tag', in: 'header', schema: { type: 'string' } },
        ],
      },
    },
  },
  components: {
    parameters: { ThingId: { name: 'id', in: 'path', required: true, schema: { type: 'integer' } } },
  },
};

interface FixturePaths {
  '/things/{id}': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: { limit?: number }; header?: { 'X-Tag'?: string }; path: { id: number } };
      requestBody?: never;
      responses: { 200: { content: { 'application/json': { seen: unknown } } } };
    };
  };
}

describe('contractRouter', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const handlers: ApiHandlers<FixturePaths> = {
      '/things/{id}': {
        get: async ({ params, query, headers }) => ({
          status: 200,
          body: { seen: { id: params.id, limit: query.limit, tag: headers['X-Tag'] } },
        }),
      },
    };
    const app = express();
    app.use(contractRouter<FixturePaths>(document, handlers));
    server = await listen(app);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('when a request arrives, then path and query integers reach the handler as numbers and headers by their contract names', async () => {
    const response = await httpClient(server.url).get('/things/42?limit=7', { headers: { 'x-tag': 'blue' } });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ seen: { id: 42, limit: 7, tag: 'blue' } });
  });

  it('when a parameter is absent, then the handler sees it undefined', async () => {
    const response = await httpClient(server.url).get('/things/1');

    expect(response.body).toEqual({ seen: { id: 1 } });
  });

  it('when a handler answers JsonText, then its exact text is sent', async () => {
    const stored = JsonText.stored<{ seen: unknown }>('{"seen":  "spacing kept"}');
    const app = express();
    app.use(
      contractRouter<FixturePaths>(document, {
        '/things/{id}': { get: async () => ({ status: 200, body: stored }) },
      }),
    );
    const running = await listen(app);
    try {
      const response = await httpClient(running.url).get('/things/1');
      expect(response.text).toBe('{"seen":  "spacing kept"}');
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    } finally {
      await running.close();
    }
  });

  it('when a handler names an operation the document lacks, then building the router throws', () => {
    const wrongDocument: OpenApiDocument = { ...document, paths: {} };
    expect(() =>
      contractRouter<FixturePaths>(wrongDocument, {
        '/things/{id}': { get: async () => ({ status: 200, body: { seen: null } }) },
      }),
    ).toThrow('The contract has no operation GET /things/{id}');
  });
});

/**
 * Type-level checks, enforced by `npm run typecheck`: each `@ts-expect-error` fails the
 * build if the line below it ever compiles. Never called.
 */
export function typeChecksOfApiHandlers(handlers: ApiHandlers<OrdersPaths>): void {
  const product = { id: 1, sku: 'A', name: 'n', price_cents: 1, stock: 1, created_at: '', updated_at: '' };
  // A body of the wrong shape for a documented status.
  // @ts-expect-error price_cents must be a number
  const wrongBody: ApiHandlers<OrdersPaths>['/products/{id}']['get'] = async () => ({
    status: 200,
    body: { ...product, price_cents: 'free' },
  });
  // A status the operation does not document.
  // @ts-expect-error getProduct documents no 202
  const undocumentedStatus: ApiHandlers<OrdersPaths>['/products/{id}']['get'] = async () => ({
    status: 202,
    body: product,
  });
  // An operation without a handler.
  // @ts-expect-error the handler of PATCH /products/{id} is missing
  const missingHandler: ApiHandlers<OrdersPaths>['/products/{id}'] = { get: handlers['/products/{id}'].get };
  // A path the contract does not have.
  // @ts-expect-error /widgets is not in the contract
  const extraPath: ApiHandlers<OrdersPaths> = { ...handlers, '/widgets': {} };
  // Typed parameters: the path id is a number, the confirm key a required string.
  const confirm: ApiHandlers<OrdersPaths>['/orders/{id}/confirm']['post'] = async ({ params, headers }) => {
    const id: number = params.id;
    const key: string = headers['X-Idempotency-Key'];
    throw new Error(`${id} ${key}`);
  };
  void [wrongBody, undocumentedStatus, missingHandler, extraPath, confirm, ordersDocument];
}
