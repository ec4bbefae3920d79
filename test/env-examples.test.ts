import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCustomersApiConfig } from '../customers-api/src/config';
import { readOrdersApiConfig } from '../orders-api/src/config';
import { readOrchestratorConfig } from '../lambda-orchestrator/src/config';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The names of every variable a config reader looks at, recorded as it reads them. */
function variablesRead(readConfig: (env: Record<string, string | undefined>) => unknown): string[] {
  const read = new Set<string>();
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, name) {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  readConfig(env);
  return [...read].sort();
}

function documentedVariables(file: string): string[] {
  return readFileSync(path.join(ROOT, file), 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

describe.each([
  ['customers-api', readCustomersApiConfig],
  ['orders-api', readOrdersApiConfig],
  ['lambda-orchestrator', readOrchestratorConfig],
] as const)('%s/.env.example', (workspace, readConfig) => {
  it('when the service reads its configuration, then every variable it reads is documented', () => {
    const documented = documentedVariables(`${workspace}/.env.example`);
    for (const name of variablesRead(readConfig))
      expect(documented, `${name} is undocumented`).toContain(name);
  });
});
