import { document as customers } from '@b2b/contracts/customers';
import { document as orchestrator } from '@b2b/contracts/orchestrator';
import { document as orders } from '@b2b/contracts/orders';
import type { OpenApiDocument } from '@b2b/contracts/document';

const DOCUMENTS = { customers, orders, orchestrator };

type Json = Record<string, unknown>;

/**
 * The answer a Prism mock gives (in its default, static mode) for an operation and status:
 * the documented example, or the first of the named examples. Tests against the mocks read
 * their expectations here, so they follow the contracts when the examples change.
 */
export function exampleAnswer<Answer>(
  contract: keyof typeof DOCUMENTS,
  path: string,
  method: 'get' | 'post' | 'put' | 'patch' | 'delete',
  status: number,
): Answer {
  const document: OpenApiDocument = DOCUMENTS[contract];
  const resolve = (node: unknown): Json => {
    let current = node as Json;
    while (typeof current?.$ref === 'string') {
      current = (current.$ref as string)
        .slice(2)
        .split('/')
        .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce<Json>((parent, key) => parent[key] as Json, document as unknown as Json);
    }
    return current;
  };
  const operation = resolve((document.paths[path] as Json)[method]);
  const response = resolve((operation.responses as Json)[String(status)]);
  const media = resolve(Object.values(response.content as Json)[0]);
  if ('example' in media) return media.example as Answer;
  return resolve(Object.values(media.examples as Json)[0]).value as Answer;
}
