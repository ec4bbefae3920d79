import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
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

/** `NAME=value` lines, and `# NAME=value` for a variable left unset on purpose. */
function documentedVariables(file: string): string[] {
  return readFileSync(path.join(ROOT, file), 'utf8')
    .split('\n')
    .map((line) => /^(?:#\s*)?([A-Z][A-Z0-9_]*)=/.exec(line.trim())?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

/** The variables in the first column of the configuration table (docs/configuration.md). */
function variablesInReadmeTable(): string[] {
  const guide = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
  const section = guide.slice(guide.indexOf('\n## Every variable\n'));
  const table = section.slice(0, section.indexOf('\n## ', 1)).split('\n');
  return table
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]!));
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

  it('when the service reads its .env.example, then it gets exactly its defaults', () => {
    const example = parseEnv(readFileSync(path.join(ROOT, workspace, '.env.example'), 'utf8'));
    expect(readConfig(example)).toEqual(readConfig({}));
  });

  it('when the service reads a variable, then the README configuration table lists it', () => {
    const listed = variablesInReadmeTable();
    for (const name of variablesRead(readConfig)) expect(listed, `${name} is not in README`).toContain(name);
  });
});

describe.each([
  '.env.example',
  'customers-api/.env.example',
  'orders-api/.env.example',
  'lambda-orchestrator/.env.example',
])('%s', (file) => {
  it('when it names a variable, then the README configuration table lists it', () => {
    const listed = variablesInReadmeTable();
    for (const name of documentedVariables(file)) expect(listed, `${name} is not in README`).toContain(name);
  });
});
