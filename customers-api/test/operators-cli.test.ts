import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { document } from '@b2b/contracts/customers';
import { sql } from '@b2b/service-kit';
import { createTestDatabase, freePort, type TestDatabase } from '@b2b/service-kit/testing';
import {
  createOperator,
  disableOperator,
  PASSWORD_LENGTH,
  USERNAME_LENGTH,
} from '../src/auth/operator-accounts';
import { runOperatorsCli } from '../src/auth/operators-cli';
import { DEFAULT_SCRYPT_COST } from '../src/auth/passwords';
import { CHEAP_SCRYPT_COST, startCustomersApi, type RunningCustomersApi } from './helpers';
import { logIn } from './log-in';

/**
 * `npm run operators` as a person runs it: a child process with the password on a pipe (or
 * typed at a real terminal, through util-linux `script`), against a fresh database that the
 * real Customers API, in-process, logs operators in from.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const WORKSPACE = path.resolve(import.meta.dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

let database: TestDatabase;
let api: RunningCustomersApi;

beforeAll(async () => {
  database = await createTestDatabase();
  api = await startCustomersApi({ db: database.db });
});

afterAll(async () => {
  await api?.stop();
  await database?.drop();
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end with `input` on a pipe (closed at once when there is none). */
async function run(command: string, args: string[], input: string | Buffer = ''): Promise<CliResult> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url },
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // A command refused before it reads its input closes the pipe: not this test's failure.
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

const operators = (args: string[], input?: string | Buffer) =>
  run(TSX, ['scripts/operators.ts', ...args], input);

/** What a careless user might put on the command line; must never be used or repeated. */
const ARGV_PASSWORD = 'argv-password-that-must-not-be-used';

/** A username no other test uses. */
const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function storedOperator(username: string) {
  const [row] = await database.db.query(
    sql`SELECT password_hash, disabled_at FROM operators WHERE username = ${username}`,
  );
  return row as { password_hash: string; disabled_at: Date | null } | undefined;
}

/** An operator made by the use case itself (cheap hash): setup for stories about other commands. */
async function givenOperator(username: string, password: string) {
  await createOperator(database.db, username, password, CHEAP_SCRYPT_COST);
}

/** The CLI in this process, on streams: for the many input checks, a child process each would take minutes. */
async function runInProcess(
  args: string[],
  input: string | Buffer = '',
  databaseUrl = database.url,
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const collected = { stdout: '', stderr: '' };
  stdout.on('data', (chunk) => (collected.stdout += chunk));
  stderr.on('data', (chunk) => (collected.stderr += chunk));
  const code = await runOperatorsCli(
    args,
    { DATABASE_URL: databaseUrl },
    {
      stdin: Readable.from([input]),
      stdout,
      stderr,
    },
  );
  return { code, ...collected };
}

describe('npm run operators, as a program', () => {
  it('when an operator is created with the password piped on stdin, then it is hashed as log-in hashes and logs in through the API', async () => {
    const username = uniqueName('alice');
    const password = 'correct horse battery staple';

    const result = await run('npm', ['run', 'operators', '--', 'create', username], `${password}\n`);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Created operator "${username}"`);
    const { N, r, p } = DEFAULT_SCRYPT_COST;
    expect((await storedOperator(username))?.password_hash).toMatch(
      new RegExp(`^scrypt\\$${N}\\$${r}\\$${p}\\$`),
    );
    const response = await logIn(api.baseUrl, { username, password });
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.access_token).sub).toBe(username);
  });

  it('when the username is taken, then it fails with exit status 1 and the existing password still works', async () => {
    const username = uniqueName('taken');
    await givenOperator(username, 'the first password of all');

    const result = await operators(['create', username], 'a second password entirely\n');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`An operator named "${username}" already exists.`);
    expect((await logIn(api.baseUrl, { username, password: 'the first password of all' })).status).toBe(200);
  });

  it('when an operator is disabled, then log-in answers exactly as for a wrong password; enabled again, they log in', async () => {
    const username = uniqueName('dora');
    const password = 'dora-explores-passwords';
    await givenOperator(username, password);

    const disabled = await operators(['disable', username]);
    const refused = await logIn(api.baseUrl, { username, password });
    const wrongPassword = await logIn(api.baseUrl, { username, password: 'not-doras-password' });
    const enabled = await operators(['enable', username]);
    const afterEnable = await logIn(api.baseUrl, { username, password });

    expect(disabled.code, disabled.stderr).toBe(0);
    expect(refused.status).toBe(401);
    const { correlationId: _refusedId, ...refusal } = refused.body;
    const { correlationId: _wrongId, ...wrong } = wrongPassword.body;
    expect(refusal).toEqual(wrong);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(afterEnable.status).toBe(200);
  });

  it('when the password is changed, then the new one logs in and the old one no longer does', async () => {
    const username = uniqueName('sam');
    await givenOperator(username, 'sams-original-password');

    const result = await operators(['set-password', username], 'sams-brand-new-password\n');

    expect(result.code, result.stderr).toBe(0);
    expect((await logIn(api.baseUrl, { username, password: 'sams-brand-new-password' })).status).toBe(200);
    expect((await logIn(api.baseUrl, { username, password: 'sams-original-password' })).status).toBe(401);
  });

  it('when a person types the password at a terminal, then it is asked twice and never shown', async () => {
    const username = uniqueName('typist');
    await givenOperator(username, 'typists-original-password');

    const typed = 'typed-at-the-terminal';
    const result = await typeAtTerminal(['set-password', username], [typed, typed]);

    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`New password for ${username}:`);
    expect(result.output).toContain('The same password again:');
    expect(result.output).not.toContain(typed);
    expect((await logIn(api.baseUrl, { username, password: typed })).status).toBe(200);
  });

  it('when the two typed passwords differ, then exit status 1 and the password is unchanged', async () => {
    const username = uniqueName('mistyped');
    await givenOperator(username, 'mistypers-original-password');
    const before = (await storedOperator(username))!.password_hash;

    const result = await typeAtTerminal(
      ['set-password', username],
      ['first-typed-password', 'second-typed-password'],
    );

    expect(result.code).toBe(1);
    expect(result.output).toContain('The two passwords differ');
    expect((await storedOperator(username))!.password_hash).toBe(before);
  });

  it('when operators exist, then list shows each with its status and creation time, and no hash', async () => {
    const active = uniqueName('listed-active');
    const disabled = uniqueName('listed-disabled');
    await givenOperator(active, 'listed-active-password');
    await givenOperator(disabled, 'listed-disabled-password');
    await disableOperator(database.db, disabled);

    const result = await operators(['list']);

    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^USERNAME\s+STATUS\s+CREATED$/);
    expect(lines.find((line) => line.startsWith(`${active} `))).toMatch(
      /\sactive\s+\d{4}-\d\d-\d\dT[\d:.]+Z$/,
    );
    expect(lines.find((line) => line.startsWith(`${disabled} `))).toMatch(
      /\sdisabled\s+\d{4}-\d\d-\d\dT[\d:.]+Z$/,
    );
    expect(result.stdout).not.toContain('scrypt$');
  });

  it.each([
    ['as --password=…', [`--password=${ARGV_PASSWORD}`]],
    ['as a second argument', [ARGV_PASSWORD]],
  ])(
    'when the password is given on the command line %s, then exit status 2, nothing is created, and it is not repeated',
    async (_, extra) => {
      const username = uniqueName('argv');

      // A valid password on stdin too: the command must not run at all.
      const result = await operators(['create', username, ...extra], 'a-valid-piped-password\n');

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('never taken from the command line');
      expect(result.stdout + result.stderr).not.toContain(ARGV_PASSWORD);
      expect(await storedOperator(username)).toBeUndefined();
    },
  );

  describe('bundled, as the Customers API image runs it', () => {
    const outfile = `dist/operators-cli.test-${randomUUID().slice(0, 8)}.js`;
    afterAll(() => {
      rmSync(path.join(WORKSPACE, outfile), { force: true });
      rmSync(path.join(WORKSPACE, `${outfile}.map`), { force: true });
    });

    it('when the workspace is built, then dist/operators-cli.js runs with node alone', async () => {
      const { scripts } = JSON.parse(readFileSync(path.join(WORKSPACE, 'package.json'), 'utf8'));
      expect(scripts.build).toContain('src/operators-cli.ts dist/operators-cli.js');
      // Built under a name of its own, so a parallel `npm run build` never rewrites it mid-run.
      const build = await run('node', [
        'scripts/build-service.mjs',
        'customers-api/src/operators-cli.ts',
        `customers-api/${outfile}`,
      ]);
      expect(build.code, build.stderr).toBe(0);
      const username = uniqueName('bundled');
      await givenOperator(username, 'bundled-cli-password');

      const result = await run('node', [`customers-api/${outfile}`, 'list']);

      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(username);
    });
  });
});

describe('runOperatorsCli: input checks', () => {
  it.each([
    ['a password shorter than the minimum', 'short-pass\n', 'at least 15 are needed'],
    ['an empty line', '\n', 'too short'],
    ['no input at all', '', 'No password on standard input'],
    [
      'bytes that are not UTF-8',
      Buffer.from([0x70, 0xff, 0xfe, ...Buffer.from('-and-some-more-text\n')]),
      'not valid UTF-8',
    ],
  ])(
    'when the piped password is %s, then exit status 1 and nothing is created',
    async (_, input, message) => {
      const username = uniqueName('weak');

      const result = await runInProcess(['create', username], input);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(message);
      expect(await storedOperator(username)).toBeUndefined();
    },
  );

  it('when the password is as long as log-in accepts, then it is accepted, and one character more is refused', async () => {
    const longest = 'x'.repeat(PASSWORD_LENGTH.max);
    const accepted = uniqueName('longest');
    const refused = uniqueName('too-long');

    const created = await runInProcess(['create', accepted], `${longest}\n`);
    const result = await runInProcess(['create', refused], `${longest}y\n`);

    expect(created.code, created.stderr).toBe(0);
    expect((await logIn(api.baseUrl, { username: accepted, password: longest })).status).toBe(200);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('too long');
    expect(await storedOperator(refused)).toBeUndefined();
  });

  it.each([
    ['--password …', ['--password', ARGV_PASSWORD]],
    ['-p …', ['-p', ARGV_PASSWORD]],
  ])('when the password is given as %s, then exit status 2 and nothing is created', async (_, extra) => {
    const username = uniqueName('argv');

    const result = await runInProcess(['set-password', username, ...extra], 'a-valid-piped-password\n');

    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).not.toContain(ARGV_PASSWORD);
  });

  it('when an operator is disabled twice, then the second time says so and keeps the first time it was disabled', async () => {
    const username = uniqueName('twice');
    await givenOperator(username, 'twice-disabled-password');
    await runInProcess(['disable', username]);
    const firstDisabledAt = (await storedOperator(username))!.disabled_at;

    const again = await runInProcess(['disable', username]);

    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was disabled already');
    expect((await storedOperator(username))!.disabled_at).toEqual(firstDisabledAt);
  });

  it.each([['disable'], ['enable'], ['set-password']])(
    'when %s names no operator, then exit status 1 with a clear message',
    async (command) => {
      const result = await runInProcess([command, uniqueName('nobody')], 'some-new-long-password\n');

      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/There is no operator named ".*"\./);
    },
  );

  it.each([
    ['no command', []],
    ['an unknown command', ['remove', 'someone']],
    ['no username', ['create']],
    ['an unknown option', ['list', '--all']],
    ['an empty username', ['create', '']],
    ['a username longer than log-in accepts', ['create', 'u'.repeat(USERNAME_LENGTH.max + 1)]],
    ['a username with a leading space', ['create', ' padded']],
    ['a username with a trailing space', ['create', 'padded ']],
    ['a username with a control character', ['create', 'tab\tname']],
    ['an invisible character in the username', ['create', 'zero\u200bwidth']],
  ])('when it is given %s, then exit status 2 with a message, and nothing is created', async (_, args) => {
    const result = await runInProcess(args, 'a-valid-piped-password\n');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^operators: \S/);
    expect(await database.db.query(sql`SELECT 1 FROM operators WHERE username = ${args[1] ?? ''}`)).toEqual(
      [],
    );
  });

  it('when the database cannot be reached, then exit status 1 naming where it looked', async () => {
    const port = await freePort();

    const result = await runInProcess(['list'], '', `mysql://root@127.0.0.1:${port}/b2b_orders`);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Cannot use the database b2b_orders at 127.0.0.1:${port} (DATABASE_URL)`);
  });

  it('when it is asked for --help, then it prints the commands and exits 0', async () => {
    const result = await runInProcess(['--help']);

    expect(result.code).toBe(0);
    for (const command of ['create', 'set-password', 'disable', 'enable', 'list']) {
      expect(result.stdout).toContain(`  ${command} `);
    }
  });

  it('when its length rules are compared with the contract, then every username and password it accepts can log in', () => {
    const schemas = document.components?.schemas as {
      TokenRequest: { properties: Record<'username' | 'password', { minLength: number; maxLength: number }> };
    };
    const { username, password } = schemas.TokenRequest.properties;

    expect(USERNAME_LENGTH).toEqual({ min: username.minLength, max: username.maxLength });
    expect(PASSWORD_LENGTH.min).toBeGreaterThanOrEqual(password.minLength);
    expect(PASSWORD_LENGTH.max).toBe(password.maxLength);
  });
});

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing each answer once its
 * prompt has appeared (so the terminal is already in raw mode: nothing typed is echoed by
 * the terminal itself). Returns everything the terminal showed.
 */
async function typeAtTerminal(
  args: string[],
  answers: string[],
): Promise<{ code: number | null; output: string }> {
  const command = [TSX, 'scripts/operators.ts', ...args].map((part) => `'${part}'`).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url },
    stdio: 'pipe',
  });
  let output = '';
  const prompts = ['New password for', 'The same password again:'];
  let answered = 0;
  child.stdout.on('data', (chunk) => {
    output += chunk;
    while (answered < answers.length && output.includes(prompts[answered]!)) {
      child.stdin.write(`${answers[answered]}\r`);
      answered += 1;
    }
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}
