import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contractRefResolver,
  freePort,
  startChildService,
  type ChildService,
} from '@b2b/service-kit/testing';

/**
 * Front ends build against Prism mocks of our contracts. This proves each mock starts and
 * answers every documented operation with that operation's documented success example.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const PRISM = path.join(ROOT, 'node_modules/.bin/prism');

interface Operation {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  status: number;
  contentType: string;
  example: unknown;
}

type Json = Record<string, unknown>;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

function exampleOf(media: Json): unknown {
  if ('example' in media) return media.example;
  const examples = media.examples as Record<string, { value: unknown }> | undefined;
  return examples ? Object.values(examples)[0]?.value : undefined;
}

/** Every operation of a bundled contract, with a request built from its examples. */
function operationsOf(contract: Json): Operation[] {
  const resolve = contractRefResolver(contract);
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(contract.paths as Record<string, Json>)) {
    const shared = (item.parameters ?? []) as Json[];
    for (const [method, operation] of Object.entries(item as Record<string, Json>)) {
      if (!HTTP_METHODS.has(method)) continue;
      const parameters = [...shared, ...((operation.parameters ?? []) as Json[])].map(resolve);
      let url = template;
      const query = new URLSearchParams();
      const headers: Record<string, string> = { Authorization: 'Bearer mock-token' };
      for (const parameter of parameters) {
        if (parameter.in === 'path') url = url.replace(`{${parameter.name}}`, String(parameter.example));
        if (parameter.in === 'header' && parameter.required)
          headers[String(parameter.name)] = String(parameter.example);
        if (parameter.in === 'query' && parameter.required)
          query.set(String(parameter.name), String(parameter.example));
      }
      const responses = operation.responses as Record<string, Json>;
      const status = Math.min(
        ...Object.keys(responses)
          .map(Number)
          .filter((code) => code < 300),
      );
      const content = (resolve(responses[String(status)]).content ?? {}) as Record<string, Json>;
      const [contentType = '', media = {}] = Object.entries(content)[0] ?? [];
      const requestMedia = (
        (operation.requestBody as Json | undefined)?.content as Record<string, Json> | undefined
      )?.['application/json'];
      operations.push({
        method: method.toUpperCase(),
        path: template,
        url: query.size > 0 ? `${url}?${query}` : url,
        headers: requestMedia ? { ...headers, 'Content-Type': 'application/json' } : headers,
        body: requestMedia ? exampleOf(requestMedia) : undefined,
        status,
        contentType,
        example: exampleOf(media),
      });
    }
  }
  return operations;
}

describe.each(['customers', 'orders', 'orchestrator'])('the Prism mock of contracts/%s.yaml', (name) => {
  const contract = JSON.parse(
    readFileSync(path.join(ROOT, `generated/${name}.openapi.json`), 'utf8'),
  ) as Json;
  const operations = operationsOf(contract);
  let mock: ChildService;
  let baseUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    mock = await startChildService(
      PRISM,
      ['mock', '-h', '127.0.0.1', '-p', String(port), `contracts/${name}.yaml`],
      {
        cwd: ROOT,
        readyUrl: `${baseUrl}/__prism_ready_probe`,
      },
    );
  });

  afterAll(async () => {
    await mock?.stop();
  });

  it('documents at least one operation', () => {
    expect(operations.length).toBeGreaterThan(0);
  });

  it.each(operations.map((operation) => [`${operation.method} ${operation.path}`, operation] as const))(
    'when %s is called with its examples, then the mock answers its documented example',
    async (_name, operation) => {
      const response = await fetch(baseUrl + operation.url, {
        method: operation.method,
        headers: operation.headers,
        body: operation.body === undefined ? undefined : JSON.stringify(operation.body),
      });
      const text = await response.text();
      expect(response.status, text).toBe(operation.status);
      if (operation.example === undefined) return;
      const body = operation.contentType.includes('json') ? JSON.parse(text) : text;
      expect(body).toEqual(operation.example);
    },
  );
});
