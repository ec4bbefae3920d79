import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Which `.env` each entry point reads, and that the environment wins over it (README,
 * "Configuration"). Each case runs the real program against files in a folder of its own,
 * never the checkout's own .env files.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const scratch: string[] = [];
afterAll(() => {
  for (const folder of scratch) rmSync(folder, { recursive: true, force: true });
});

/** A folder for one case, under `parent` (inside the checkout when node_modules must resolve). */
function scratchFolder(parent: string, prefix: string): string {
  mkdirSync(parent, { recursive: true });
  const folder = mkdtempSync(path.join(parent, prefix));
  scratch.push(folder);
  return folder;
}

describe.each(['customers-api', 'orders-api'])('the %s bundle', (workspace) => {
  // The part's layout in miniature: <part>/dist/server.js reads <part>/.env. Built under the
  // workspace's dist/ (ignored by git and lint) so its npm packages resolve as in production.
  const part = scratchFolder(path.join(ROOT, workspace, 'dist'), 'env-file-test-');
  const bundle = path.join(part, 'dist/server.js');

  /** Starts the bundle with only `env`; an invalid PORT stops it at once, naming the value it read. */
  async function start(env: Record<string, string>) {
    try {
      await run(process.execPath, [bundle], {
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 10_000,
      });
      return { code: 0, stderr: '' };
    } catch (error) {
      const { code, stderr } = error as { code: number; stderr: string };
      return { code, stderr };
    }
  }

  it('when .env sits in the part’s folder, then dist/server.js reads it, and the environment wins', async () => {
    const build = await run(
      process.execPath,
      ['scripts/build-service.mjs', path.join(workspace, 'src/server.ts'), path.relative(ROOT, bundle)],
      { cwd: ROOT },
    );
    expect(build.stdout).toContain('built');
    writeFileSync(path.join(part, '.env'), 'PORT=port-from-the-file\n');

    const fromFile = await start({});
    const fromEnvironment = await start({ PORT: 'port-from-the-environment' });

    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toContain('PORT must be an integer from 0 to 65535 (got "port-from-the-file")');
    expect(fromEnvironment.code).toBe(1);
    expect(fromEnvironment.stderr).toContain('(got "port-from-the-environment")');
    expect(fromEnvironment.stderr).not.toContain('port-from-the-file');
  });
});

describe('the orchestrator under Serverless', () => {
  it('when lambda-orchestrator/.env sets a variable, then serverless.yml resolves it, and the environment wins', async () => {
    // A copy of the service: serverless reads the .env beside serverless.yml (useDotenv).
    const service = scratchFolder(path.join(ROOT, 'lambda-orchestrator/dist'), 'env-file-test-');
    copyFileSync(path.join(ROOT, 'lambda-orchestrator/serverless.yml'), path.join(service, 'serverless.yml'));
    writeFileSync(path.join(service, '.env'), 'UPSTREAM_RETRIES=4\nORCHESTRATOR_PORT=4999\n');

    const { stdout } = await run(
      path.join(ROOT, 'node_modules/.bin/serverless'),
      ['print', '--format', 'json'],
      {
        cwd: service,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: service,
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
          SLS_INTERACTIVE_SETUP_DISABLE: '1',
          ORCHESTRATOR_PORT: '5000',
        },
      },
    );
    const resolved = JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1));

    expect(resolved.provider.environment.UPSTREAM_RETRIES).toBe('4');
    expect(String(resolved.custom['serverless-offline'].httpPort)).toBe('5000');
  }, 60_000);
});

interface LocalSettings {
  settings: {
    nodeEnv: string;
    databaseUrl: string;
    serviceToken?: string;
    orchestratorInProcess: string;
    ports: { customers: number; orders: number; orchestrator: number; orchestratorLambda: number };
  };
  problems: string[];
}

// Plain JavaScript, as npm start runs it: imported by URL, typed here.
const { resolveLocalSettings } = (await import(
  pathToFileURL(path.join(ROOT, 'scripts/lib/local-settings.mjs')).href
)) as { resolveLocalSettings: (options: { env: object; root: string }) => LocalSettings };

describe('npm start and npm run smoke: the system’s own settings', () => {
  /** A checkout in miniature whose parts hold these .env files. */
  function givenCheckout(files: Record<string, string>): string {
    const root = scratchFolder(tmpdir(), 'local-settings-');
    for (const [part, text] of Object.entries(files)) {
      mkdirSync(path.join(root, part));
      writeFileSync(path.join(root, part, '.env'), text);
    }
    return root;
  }

  it('when nothing is set, then the parts’ defaults apply', () => {
    const { settings, problems } = resolveLocalSettings({ env: {}, root: givenCheckout({}) });

    expect(problems).toEqual([]);
    expect(settings).toEqual({
      nodeEnv: 'development',
      databaseUrl: 'mysql://root@127.0.0.1:3306/b2b_orders',
      natsUrl: 'nats://127.0.0.1:4222',
      serviceToken: undefined,
      orchestratorInProcess: 'true',
      ports: { customers: 3001, orders: 3002, orchestrator: 3000, orchestratorLambda: 3003 },
    });
  });

  it('when a part’s .env sets its port, then npm start uses it, unless <PART>_PORT is in the environment', () => {
    const root = givenCheckout({
      'customers-api': 'PORT=4299\nSERVICE_TOKEN=a-token-from-the-file\n',
      'orders-api': 'PORT=4300\n',
      'lambda-orchestrator': 'ORCHESTRATOR_PORT=4301\nORCHESTRATOR_LAMBDA_PORT=4302\n',
    });

    const fromFiles = resolveLocalSettings({ env: {}, root });
    const fromEnvironment = resolveLocalSettings({
      env: { CUSTOMERS_PORT: '5001', ORCHESTRATOR_PORT: '' },
      root,
    });

    expect(fromFiles.settings.ports).toEqual({
      customers: 4299,
      orders: 4300,
      orchestrator: 4301,
      orchestratorLambda: 4302,
    });
    expect(fromFiles.settings.serviceToken).toBe('a-token-from-the-file');
    // Set but empty: the default, as for every variable.
    expect(fromEnvironment.settings.ports).toMatchObject({
      customers: 5001,
      orders: 4300,
      orchestrator: 3000,
    });
  });

  it('when the two APIs’ files name different databases, then npm start refuses, unless the environment decides', () => {
    const root = givenCheckout({
      'customers-api': 'DATABASE_URL=mysql://root@127.0.0.1:3306/one\n',
      'orders-api': 'DATABASE_URL=mysql://root@127.0.0.1:3306/two\n',
    });

    const conflicting = resolveLocalSettings({ env: {}, root });
    const decided = resolveLocalSettings({
      env: { DATABASE_URL: 'mysql://root@127.0.0.1:3306/three' },
      root,
    });

    expect(conflicting.problems).toEqual([
      'customers-api/.env and orders-api/.env set different DATABASE_URL; make them agree, or set DATABASE_URL in the environment',
    ]);
    expect(decided.problems).toEqual([]);
    expect(decided.settings.databaseUrl).toBe('mysql://root@127.0.0.1:3306/three');
  });

  it('when one API’s file names the database, then both APIs and the set-up use it', () => {
    const root = givenCheckout({ 'orders-api': 'DATABASE_URL=mysql://root@127.0.0.1:3306/shared\n' });

    const { settings, problems } = resolveLocalSettings({ env: {}, root });

    expect(problems).toEqual([]);
    expect(settings.databaseUrl).toBe('mysql://root@127.0.0.1:3306/shared');
  });

  it('when a port is not a port number, then npm start says which', () => {
    const root = givenCheckout({ 'orders-api': 'PORT=80a\n' });

    expect(resolveLocalSettings({ env: {}, root }).problems).toEqual([
      'ORDERS_PORT must be a port number from 1 to 65535 (got "80a")',
    ]);
  });
});
