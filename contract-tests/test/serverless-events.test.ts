import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, loadContract, operationsOf } from '../operations';

/**
 * Drift guard for the one part whose routes the compiler cannot check: the APIs mount
 * their handlers through routers typed by their contracts (service-kit contractRouter),
 * but the orchestrator's routes are declared in serverless.yml.
 */
describe('serverless.yml matches the orchestrator contract', () => {
  it('when serverless.yml is read, then its http events are exactly the operations of orchestrator.yaml', () => {
    const serverless = YAML.parse(
      readFileSync(path.join(ROOT, 'lambda-orchestrator/serverless.yml'), 'utf8'),
    ) as {
      functions: Record<string, { events?: { http?: { method: string; path: string } }[] }>;
    };
    const events = Object.values(serverless.functions)
      .flatMap((fn) => fn.events ?? [])
      .flatMap((event) => (event.http ? [event.http] : []))
      .map((http) => `${http.method.toUpperCase()} /${http.path.replace(/^\//, '')}`);
    // OPTIONS is the CORS preflight the handler answers (src/cors.ts), as the APIs' cors
    // middleware does: not an operation of a contract, but only on a path that has one.
    const [preflights, operations] = [
      events.filter((event) => event.startsWith('OPTIONS ')),
      events.filter((event) => !event.startsWith('OPTIONS ')),
    ];
    const declared = operationsOf('orchestrator', loadContract('orchestrator'))
      .map((operation) => `${operation.method} ${operation.pathTemplate}`)
      .sort();
    expect(operations.sort()).toEqual(declared);
    const paths = declared.map((operation) => operation.split(' ')[1]);
    for (const preflight of preflights) expect(paths).toContain(preflight.split(' ')[1]);
  });
});
