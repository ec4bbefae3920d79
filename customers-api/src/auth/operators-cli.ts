import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  AppError,
  connectDatabase,
  DEFAULT_DATABASE_URL,
  InputError,
  isDatabaseUnavailable,
  type Database,
} from '@b2b/service-kit';
import {
  assertNewPassword,
  assertNewUsername,
  assertUsername,
  changeOperatorPassword,
  createOperator,
  disableOperator,
  enableOperator,
  listOperators,
  PASSWORD_LENGTH,
} from './operator-accounts';

/**
 * `npm run operators -- <command>`: operator accounts from a shell. The password is typed at
 * a prompt or piped on standard input, never taken from the command line (shell history,
 * `ps`) or the environment (inherited by every child process, shown by `docker inspect`).
 */

export const USAGE = `usage: npm run operators -- <command> [<username>]

  create <username>        create an active operator (asks for the password)
  set-password <username>  replace an operator's password (asks for the new one)
  disable <username>       refuse the operator's log-ins from now on
  enable <username>        let a disabled operator log in again
  list                     every operator: username, status, created (UTC)

The password is typed at a prompt (twice, not shown) or, when standard input is not a
terminal, read from its first line:
  printf '%s\\n' "$PASSWORD" | npm run operators -- create alice
It is never taken from the command line or the environment; ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters.
Tokens already issued to an operator stay valid until they expire (JWT_TTL_SECONDS), also
after disable or set-password.
DATABASE_URL names the database (default ${DEFAULT_DATABASE_URL}).
Exit status: 0 done, 1 failed (e.g. username taken, no such operator), 2 usage error.`;

const COMMANDS = ['create', 'set-password', 'disable', 'enable', 'list'] as const;
type Command = (typeof COMMANDS)[number];

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Wrong command line: exit status 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly showsUsage = false,
  ) {
    super(message);
  }
}

const HELP_HINT = 'Run `npm run operators -- --help` for the commands.\n';

/** Anything else that stops the command: exit status 1. */
class CliFailure extends Error {}

/**
 * Runs one command of the operators CLI and returns its exit status; messages go to
 * `io.stderr`, results to `io.stdout`. Reads DATABASE_URL from `env` and nothing else.
 */
export async function runOperatorsCli(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  let invocation: Invocation | 'help';
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`operators: ${error.message}\n${error.showsUsage ? `\n${USAGE}\n` : HELP_HINT}`);
    return 2;
  }
  if (invocation === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const url = env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  if (!URL.canParse(url)) {
    io.stderr.write(`operators: DATABASE_URL is not a URL like ${DEFAULT_DATABASE_URL}.\n`);
    return 1;
  }
  try {
    const password = needsPassword(invocation.command) ? await readPassword(invocation.username!, io) : '';
    const db = connectDatabase(url, { poolSize: 1 });
    try {
      io.stdout.write(`${await execute(db, invocation, password)}\n`);
    } finally {
      await db.dispose();
    }
    return 0;
  } catch (error) {
    io.stderr.write(`operators: ${describeFailure(error, url)}\n`);
    return 1;
  }
}

interface Invocation {
  command: Command;
  username?: string;
}

const isCommand = (name: string | undefined): name is Command =>
  (COMMANDS as readonly string[]).includes(name ?? '');

const needsPassword = (command: Command) => command === 'create' || command === 'set-password';

/** An option that looks like an attempt to pass the password: refused with its own reason. */
const PASSWORD_OPTION = /^--?(p|pw|pwd|pass|passwd|password)(=|$)/i;

function parseInvocation(argv: string[]): Invocation | 'help' {
  if (argv.some((argument) => PASSWORD_OPTION.test(argument))) {
    throw new UsageError(
      'A password is never taken from the command line (it would stay in the shell history and ' +
        'show in `ps`): type it at the prompt, or pipe it on standard input.',
    );
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return 'help';
  const [command, ...operands] = parsed.positionals;
  if (command === undefined) throw new UsageError('No command given.', true);
  if (!isCommand(command)) throw new UsageError(`Unknown command ${JSON.stringify(command)}.`, true);
  const expected = command === 'list' ? 0 : 1;
  if (operands.length !== expected) {
    // The operands are not repeated: an extra one may well be a password.
    throw new UsageError(
      `${command} takes ${expected === 0 ? 'no arguments' : 'one argument, the username'}; got ${operands.length}` +
        (operands.length > expected ? ' (a password is never taken from the command line).' : '.'),
    );
  }
  const username = operands[0];
  if (username !== undefined) {
    try {
      if (command === 'create') assertNewUsername(username);
      else assertUsername(username);
    } catch (error) {
      if (error instanceof InputError) throw new UsageError(error.message);
      throw error;
    }
  }
  return { command, username };
}

async function execute(db: Database, { command, username }: Invocation, password: string): Promise<string> {
  switch (command) {
    case 'create':
      await createOperator(db, username!, password);
      return `Created operator ${JSON.stringify(username)}; they can log in now.`;
    case 'set-password': {
      const { isDisabled } = await changeOperatorPassword(db, username!, password);
      return `Changed the password of ${JSON.stringify(username)}${isDisabled ? ' (still disabled)' : ''}.`;
    }
    case 'disable': {
      const { changed } = await disableOperator(db, username!);
      return changed
        ? `Disabled ${JSON.stringify(username)}: log-ins are refused; tokens already issued expire within JWT_TTL_SECONDS.`
        : `${JSON.stringify(username)} was disabled already.`;
    }
    case 'enable': {
      const { changed } = await enableOperator(db, username!);
      return changed
        ? `Enabled ${JSON.stringify(username)}.`
        : `${JSON.stringify(username)} was active already.`;
    }
    case 'list':
      return formatOperators(await listOperators(db));
  }
}

function formatOperators(operators: Awaited<ReturnType<typeof listOperators>>): string {
  if (operators.length === 0)
    return 'No operators yet: create one with `npm run operators -- create <username>`.';
  const rows = [
    ['USERNAME', 'STATUS', 'CREATED'],
    ...operators.map((operator) => [
      operator.username,
      operator.isDisabled ? 'disabled' : 'active',
      operator.createdAt.toISOString(),
    ]),
  ];
  const width = Math.max(...rows.map(([username]) => username!.length));
  return rows
    .map(([username, status, created]) => `${username!.padEnd(width)}  ${status!.padEnd(8)}  ${created}`)
    .join('\n');
}

/**
 * The new password: typed twice at a prompt that shows nothing when standard input is a
 * terminal, else the first line of standard input (without its line ending). Checked
 * before anything is written.
 */
async function readPassword(username: string, io: CliIo): Promise<string> {
  let password: string;
  if (io.stdin.isTTY) {
    const [first, second] = await promptHidden(io, [
      `New password for ${username}: `,
      'The same password again: ',
    ]);
    if (first !== second) throw new CliFailure('The two passwords differ; nothing was changed.');
    password = first!;
  } else {
    const line = await readFirstLine(io.stdin);
    if (line === undefined) {
      throw new CliFailure(
        'No password on standard input: pipe one line, e.g. printf \'%s\\n\' "$PASSWORD" | npm run operators -- …',
      );
    }
    // Invalid UTF-8 was replaced while decoding; storing a password nobody typed is worse than refusing.
    if (line.includes('\uFFFD')) throw new CliFailure('The password on standard input is not valid UTF-8.');
    password = line;
  }
  assertNewPassword(username, password);
  return password;
}

async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string | undefined> {
  const lines = createInterface({ input: stdin, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
    return undefined;
  } finally {
    lines.close();
  }
}

/**
 * Asks each question on the terminal and reads the answers with echo off: readline puts
 * the terminal in raw mode (and restores it on close) and writes its echo to an output
 * that discards it, the way the `read` package does with mute-stream. Ctrl-C or Ctrl-D
 * cancels.
 */
async function promptHidden(io: CliIo, questions: string[]): Promise<string[]> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const terminal = createInterface({ input: io.stdin, output: discard, terminal: true });
  const answers: string[] = [];
  try {
    for (const question of questions) {
      io.stderr.write(question);
      answers.push(
        await new Promise<string>((resolve, reject) => {
          const cancel = () => reject(new CliFailure('Canceled; nothing was changed.'));
          terminal.once('SIGINT', cancel).once('close', cancel);
          terminal.question('', (answer) => {
            terminal.off('SIGINT', cancel).off('close', cancel);
            resolve(answer);
          });
        }).finally(() => io.stderr.write('\n')),
      );
    }
    return answers;
  } finally {
    terminal.close();
  }
}

/** The message of a failed command; never a stack trace, never the password. */
function describeFailure(error: unknown, url: string): string {
  const database = new URL(url);
  const where = `${database.pathname.slice(1)} at ${database.host}`;
  if (error instanceof AppError || error instanceof CliFailure) return error.message;
  if (isDatabaseUnavailable(error)) {
    return `Cannot use the database ${where} (DATABASE_URL): ${error instanceof Error ? error.message : String(error)}`;
  }
  // ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR: the schema is older than this code.
  const errno = typeof error === 'object' && error !== null && 'errno' in error ? error.errno : undefined;
  if (errno === 1146 || errno === 1054) {
    return `The database ${where} lacks the current schema: run \`npm run migrate\` first.`;
  }
  return error instanceof Error ? error.message : String(error);
}
