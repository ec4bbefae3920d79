import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import newman, { type NewmanRunSummary } from 'newman';
import { describe, expect, it } from 'vitest';
import { TEST_AUTH } from '@b2b/service-kit/testing';
import { useSystem } from '../../test/support/system';

/**
 * The committed Postman collection, run by newman against the real system: both APIs
 * in-process on a fresh database and the built Lambda under serverless-offline, all on
 * ephemeral ports. Only the environment's URLs and service token are overridden, so what
 * passes here is what `newman run` does against `npm start`.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const COLLECTION_FILE = path.join(ROOT, 'postman/b2b-orders-backoffice.postman_collection.json');
const ENVIRONMENT_FILE = path.join(ROOT, 'postman/local.postman_environment.json');
const run = promisify(execFile);

interface CollectionItem {
  name: string;
  request?: unknown;
  item?: CollectionItem[];
}

/** Every request of the collection, in the order newman runs them. */
function requestNamesOf(items: CollectionItem[]): string[] {
  return items.flatMap((item) => (item.item ? requestNamesOf(item.item) : item.request ? [item.name] : []));
}

function runCollection(envVar: { key: string; value: string }[]): Promise<NewmanRunSummary> {
  return new Promise((resolve, reject) => {
    newman.run(
      { collection: COLLECTION_FILE, environment: ENVIRONMENT_FILE, envVar, reporters: [] },
      (error: Error | null, summary: NewmanRunSummary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

describe('the Postman collection run by newman', () => {
  const system = useSystem();

  it('when the collection is regenerated from the contracts, then it is byte-identical to the committed one', async () => {
    const { stdout } = await run('node', ['scripts/postman.mjs', '--check'], { cwd: ROOT });
    expect(stdout).toContain('up to date');
  });

  it('when newman runs the whole collection against a freshly seeded system, then every request runs and every assertion passes', async () => {
    const collection = JSON.parse(await readFile(COLLECTION_FILE, 'utf8'));
    const expectedRequests = requestNamesOf(collection.item);

    const summary = await runCollection([
      { key: 'customersBaseUrl', value: system.current.urls.customers },
      { key: 'ordersBaseUrl', value: system.current.urls.orders },
      { key: 'orchestratorBaseUrl', value: system.current.urls.orchestrator },
      { key: 'serviceToken', value: TEST_AUTH.serviceToken },
    ]);

    const failures = summary.run.failures.map(
      (failure) => `${failure.source?.name ?? 'collection'}: ${failure.error.name}: ${failure.error.message}`,
    );
    // newman pushes an item's execution once per HTTP request, pm.sendRequest calls included.
    const executions = [...new Set(summary.run.executions)];
    const failedResponses = executions
      .filter((execution) => execution.assertions?.some((assertion) => assertion.error))
      .map(({ item, response }) => `${item.name}: ${response?.code} ${response?.stream?.toString()}`);
    expect(failures, [...failedResponses, system.current.orchestratorOutput()].join('\n')).toEqual([]);
    expect(executions.map((execution) => execution.item.name)).toEqual(expectedRequests);
    // A request that got no answer is also listed among the failures above.
    expect(executions.every((execution) => execution.response)).toBe(true);
    expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(expectedRequests.length * 3);
  }, 120_000);
});
