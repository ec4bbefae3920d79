import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { createTestDatabase, type TestDatabase } from '@b2b/service-kit/testing';

/**
 * scripts/prepare-database.ts, the database step of `npm start`, run as `npm start` runs it.
 * The seed holds the development operator, whose password is published in the README: it
 * must never reach a production database.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

const databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

/**
 * Runs a database script (as npm runs it, through tsx) against a new test database, with
 * NODE_ENV as given (unset when undefined), and counts what it left in the database.
 */
async function runScript(script: string, nodeEnv: string | undefined, options: { empty?: boolean } = {}) {
  const database = await createTestDatabase(options);
  databases.push(database);
  const { NODE_ENV: _inherited, ...env } = process.env;
  const outcome = await run(path.join(ROOT, 'node_modules/.bin/tsx'), [script], {
    cwd: ROOT,
    env: { ...env, DATABASE_URL: database.url, ...(nodeEnv && { NODE_ENV: nodeEnv }) },
  }).then(
    ({ stdout }) => ({ exitCode: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      exitCode: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
  const count = async (table: 'operators' | 'products') => {
    const [row] = await database.db.query(sql`SELECT COUNT(*) AS n FROM ${sql.ident(table)}`);
    return Number(row.n);
  };
  return { ...outcome, operators: await count('operators'), products: await count('products') };
}

const prepare = (nodeEnv: string | undefined) =>
  runScript('scripts/prepare-database.ts', nodeEnv, { empty: true });

describe('npm start: preparing the database', () => {
  it('when NODE_ENV is unset (development), then a new database is migrated and seeded with the development operator', async () => {
    const prepared = await prepare(undefined);

    expect(prepared.operators).toBe(1);
    expect(prepared.products).toBeGreaterThan(0);
  });

  it('when NODE_ENV=production, then a new database is migrated, holds no operator and no seed data, and the output says how to create one', async () => {
    const prepared = await prepare('production');

    expect(prepared.operators).toBe(0);
    expect(prepared.products).toBe(0);
    expect(prepared.stdout).toContain('npm run operators -- create <username>');
  });
});

describe('npm run seed', () => {
  const seed = (nodeEnv: string | undefined) => runScript('scripts/seed.ts', nodeEnv);

  it('when NODE_ENV is unset (development), then the development operator is loaded', async () => {
    const seeded = await seed(undefined);

    expect(seeded.exitCode).toBe(0);
    expect(seeded.operators).toBe(1);
  });

  it('when NODE_ENV=production, then it refuses, loads nothing and says how to create an operator', async () => {
    const seeded = await seed('production');

    expect(seeded.exitCode).toBe(2);
    expect(seeded.operators).toBe(0);
    expect(seeded.stderr).toContain('npm run operators -- create <username>');
  });
});
