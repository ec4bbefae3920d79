import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@b2b/service-kit/testing';

/**
 * npm run migrate, seed and operators name the database they work on in their first line
 * (host:port/name and user, never the password, and where DATABASE_URL came from), and the
 * seed says what it inserted and what was already there. Run as npm runs them, through tsx.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const run = promisify(execFile);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 1 });
});
afterAll(async () => {
  await database?.drop();
});

async function script(file: string, args: string[] = []) {
  const { NODE_ENV: _inherited, ...env } = process.env;
  return run(TSX, [file, ...args], { cwd: ROOT, env: { ...env, DATABASE_URL: database.url } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ ...error }),
  );
}

const firstLine = (text: string) => text.split('\n')[0];
/** `host:port/name as user …`, as the scripts name the test database. */
const where = () => {
  const url = new URL(database.url);
  return `${url.hostname}:${url.port || 3306}/${database.name} as user ${decodeURIComponent(url.username)}`;
};

describe('the database scripts', () => {
  it('when npm run seed runs twice, then the first run lists the rows it inserted and the second says nothing was inserted', async () => {
    const first = await script('scripts/seed.ts');
    const second = await script('scripts/seed.ts');

    expect(first.code, first.stderr).toBe(0);
    expect(firstLine(first.stdout)).toBe(
      `npm run seed: database ${where()} (DATABASE_URL from the environment)`,
    );
    expect(first.stdout).toMatch(/inserted \d+ row\(s\): operators 1, customers \d+, products \d+/);
    expect(second.stdout).toContain('nothing inserted');
    expect(second.stdout).not.toContain('inserted 0');
  });

  it('when npm run operators lists, then the database is named first on stderr and stdout holds the table alone', async () => {
    const result = await script('scripts/operators.ts', ['list']);

    expect(result.code, result.stderr).toBe(0);
    expect(firstLine(result.stderr)).toBe(
      `npm run operators: database ${where()} (DATABASE_URL from the environment)`,
    );
    expect(firstLine(result.stdout)).toMatch(/^USERNAME\s+STATUS\s+CREATED$/);
  });

  it('when npm run migrate finds nothing pending, then it names the database first', async () => {
    const result = await script('scripts/migrate.ts');

    expect(result.code, result.stderr).toBe(0);
    expect(firstLine(result.stdout)).toContain(`npm run migrate: database ${where()}`);
    expect(result.stdout).toContain('no pending migrations');
  });
});
