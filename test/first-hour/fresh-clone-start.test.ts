import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, freePorts, TEST_SERVER_URL } from '@b2b/service-kit/testing';
import { createTemporaryUser, missingDatabaseName, type TemporaryUser } from './support';

/**
 * `npm start` on a fresh clone with a DATABASE_URL that cannot work: it says exactly what is
 * wrong, each cause with its own next step, within seconds and before anything is built.
 *
 * The clone is of the checkout the test runs in (in CI, a fresh clone itself), with the
 * checkout's uncommitted changes laid over it so the test judges the code as it stands; no
 * .env, no dist/. Instead of a 3-minute npm ci, its node_modules is a folder of links to the
 * checkout's packages: a folder of its own, so ensure-dependencies writes its stamp there, and
 * an install it might start could only remove links, never the checkout's packages.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const git = promisify(execFile);
/** Measured on a busy 2-core machine: 3–5 s a case (node, the dependency check, tsx). */
const FAILS_WITHIN_MS = 20_000;

let workspace: string;
let clone: string;
let account: TemporaryUser;

async function cloneCheckout(): Promise<string> {
  const target = path.join(workspace, 'clone');
  await git('git', ['clone', '--quiet', ROOT, target]);
  const { stdout: diff } = await git('git', ['-C', ROOT, 'diff', 'HEAD', '--binary'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  if (diff.trim()) {
    const apply = spawn('git', ['-C', target, 'apply', '--binary', '--whitespace=nowarn'], {
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    apply.stdin.end(diff);
    const [code] = await once(apply, 'exit');
    if (code !== 0) throw new Error('could not lay the checkout’s uncommitted changes over the clone');
  }
  const { stdout: untracked } = await git('git', [
    '-C',
    ROOT,
    'ls-files',
    '--others',
    '--exclude-standard',
    '-z',
  ]);
  for (const file of untracked.split('\0').filter(Boolean)) {
    await mkdir(path.dirname(path.join(target, file)), { recursive: true });
    await copyFile(path.join(ROOT, file), path.join(target, file));
  }
  // node_modules: links to the checkout's packages, not its stamp (that one is the checkout's).
  await mkdir(path.join(target, 'node_modules'));
  for (const entry of await readdir(path.join(ROOT, 'node_modules'))) {
    if (entry === '.b2b-dependencies-stamp') continue;
    await symlink(path.join(ROOT, 'node_modules', entry), path.join(target, 'node_modules', entry));
  }
  // As after a plain npm ci: node_modules is newer than the lock file, so nothing is installed.
  await utimes(path.join(target, 'package-lock.json'), new Date(0), new Date(0));
  return target;
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'b2b-first-hour-'));
  clone = await cloneCheckout();
  account = await createTemporaryUser();
}, 120_000);

afterAll(async () => {
  await account?.drop();
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

/** `node scripts/start.mjs` in the clone, on free ports; its output in order, exit code and time. */
async function startClone(databaseUrl: string) {
  const [customers, orders, orchestrator, orchestratorLambda] = await freePorts(4);
  const child = spawn('node', ['scripts/start.mjs'], {
    cwd: clone,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      CUSTOMERS_PORT: String(customers),
      ORDERS_PORT: String(orders),
      ORCHESTRATOR_PORT: String(orchestrator),
      ORCHESTRATOR_LAMBDA_PORT: String(orchestratorLambda),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const startedAt = Date.now();
  // A start that got past the check would run for ever: stop it, and let the asserts say why.
  const guard = setTimeout(() => child.kill('SIGINT'), FAILS_WITHIN_MS * 2);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(guard);
  return { code, output, elapsedMs: Date.now() - startedAt };
}

/** Nothing was built: no build step ran and no part has a dist/ folder. */
function expectNothingBuilt(output: string) {
  expect(output).not.toContain('[setup] building');
  expect(output).not.toContain('built dist/');
  expect(output).not.toMatch(/> @b2b\/[\w-]+@[\d.]+ build/);
  for (const part of ['customers-api', 'orders-api', 'lambda-orchestrator']) {
    expect(existsSync(path.join(clone, part, 'dist')), `${part}/dist`).toBe(false);
  }
}

const serverAddress = () => {
  const url = new URL(TEST_SERVER_URL);
  return `${url.hostname}:${url.port || 3306}`;
};

describe('npm start on a fresh clone, when the database cannot be used', () => {
  it('when the password is wrong, then access is denied naming the user, before any build, in seconds', async () => {
    const started = await startClone(account.url('b2b_orders', 'wrong-password'));

    expect(started.code, started.output).toBe(1);
    expect(started.output).toContain(
      `[setup] database ${serverAddress()}/b2b_orders as user ${account.user} (DATABASE_URL from the environment)`,
    );
    expect(started.output).toContain(`Access denied for user ${account.user}`);
    expect(started.output).toContain(`GRANT ALL PRIVILEGES ON \`b2b_orders\`.* TO '${account.user}'@`);
    expect(started.output).not.toContain('wrong-password');
    expect(started.output).not.toContain('No MySQL/MariaDB answers');
    expectNothingBuilt(started.output);
    expect(started.elapsedMs).toBeLessThan(FAILS_WITHIN_MS);
  });

  it('when nothing listens on the port, then it says so, not "access denied", before any build, in seconds', async () => {
    const port = await freePort();

    const started = await startClone(`mysql://root@127.0.0.1:${port}/b2b_orders`);

    expect(started.code, started.output).toBe(1);
    expect(started.output).toContain(`Nothing listens at 127.0.0.1:${port}`);
    expect(started.output).not.toContain('Access denied');
    expectNothingBuilt(started.output);
    expect(started.elapsedMs).toBeLessThan(FAILS_WITHIN_MS);
  });

  it('when the database does not exist and the user may not create it, then it names the database, the user and the grant', async () => {
    const name = missingDatabaseName();

    const started = await startClone(account.url(name));

    expect(started.code, started.output).toBe(1);
    expect(started.output).toContain(`Database ${name}`);
    expect(started.output).toContain(`${account.user} may not create it`);
    expect(started.output).toContain(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO '${account.user}'@`);
    expectNothingBuilt(started.output);
    expect(started.elapsedMs).toBeLessThan(FAILS_WITHIN_MS);
  });
});
