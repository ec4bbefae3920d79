import { expect } from 'vitest';
import type { OpenApiDocument } from '@b2b/contracts/document';
import type { HttpClient, TestResponse } from './http';

/** The `next_cursor` of the first page of `path` (GET with `token`), which must have one. */
export async function secondPageCursor(client: HttpClient, path: string, token: string): Promise<string> {
  const response = await client.get(path, { token });
  expect(response.status).toBe(200);
  expect(response.body.next_cursor).toEqual(expect.any(String));
  return response.body.next_cursor;
}

/** A list answered 400 INVALID_CURSOR, naming the cursor. */
export function expectInvalidCursor(response: TestResponse): void {
  expect(response.status).toBe(400);
  expect(response.body.code).toBe('INVALID_CURSOR');
  expect(response.body.errors).toEqual([{ field: 'query.cursor', message: 'is not a valid cursor' }]);
}

type Json = Record<string, unknown>;

/**
 * Follows local `$ref`s (`#/components/…`, JSON Pointer escapes `~1` `~0` read) of a bundled
 * contract until a node that is not a reference: how tests read the contract's examples.
 */
export function contractRefResolver(contract: OpenApiDocument | Json): (node: unknown) => Json {
  return (node) => {
    let current = node as Json;
    while (typeof current?.$ref === 'string') {
      current = (current.$ref as string)
        .slice(2)
        .split('/')
        .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce<Json>((parent, key) => parent[key] as Json, contract as unknown as Json);
    }
    return current;
  };
}

/**
 * What a bundled contract documents for `GET path`: the query of its example request (every
 * query example but `cursor` and `limit`) and every cursor it shows there, the `cursor`
 * example and each `next_cursor` of its 200 examples.
 */
export function documentedCursors(
  contract: OpenApiDocument,
  path: string,
): { query: string; cursors: string[] } {
  const resolve = contractRefResolver(contract);
  const operation = resolve((contract.paths[path] as Json).get);
  const parameters = (operation.parameters as unknown[])
    .map(resolve)
    .filter((parameter) => parameter.in === 'query');
  const query = new URLSearchParams();
  for (const parameter of parameters) {
    if (parameter.name !== 'cursor' && parameter.name !== 'limit' && parameter.example !== undefined)
      query.set(String(parameter.name), String(parameter.example));
  }
  const media = (resolve((operation.responses as Json)['200']).content as Json)['application/json'] as Json;
  const pages =
    'example' in media
      ? [media.example]
      : Object.values(media.examples as Json).map((example) => resolve(example).value);
  const cursors = [
    parameters.find((parameter) => parameter.name === 'cursor')?.example,
    ...pages.map((page) => (page as Json).next_cursor),
  ].filter((cursor): cursor is string => typeof cursor === 'string');
  return { query: query.toString(), cursors };
}
