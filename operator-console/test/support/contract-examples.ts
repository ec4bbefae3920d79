import { document as customers } from '@b2b/contracts/customers';
import { document as orchestrator } from '@b2b/contracts/orchestrator';
import { document as orders } from '@b2b/contracts/orders';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { contractRefResolver } from '@b2b/service-kit/testing';

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
  const resolve = contractRefResolver(document);
  const operation = resolve((document.paths[path] as Json)[method]);
  const response = resolve((operation.responses as Json)[String(status)]);
  const media = resolve(Object.values(response.content as Json)[0]);
  if ('example' in media) return media.example as Answer;
  return resolve(Object.values(media.examples as Json)[0]).value as Answer;
}
