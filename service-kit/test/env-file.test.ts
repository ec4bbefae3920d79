import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const CONFIG_MODULE = path.resolve(import.meta.dirname, '../src/config.ts');
const directory = mkdtempSync(path.join(tmpdir(), 'env-file-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function givenFile(name: string, text: string): string {
  const file = path.join(directory, name);
  writeFileSync(file, text);
  return file;
}

/**
 * Runs loadEnvFiles(...files) in a Node process of its own (process.env is the process's,
 * so a real one is the honest test) whose environment is `env` alone, and reports what it
 * read and the values of `names` afterwards (null: unset).
 */
async function loadInProcess(files: string[], env: Record<string, string>, names: string[]) {
  const script = `
    import { loadEnvFiles } from ${JSON.stringify(CONFIG_MODULE)};
    const read = loadEnvFiles(...${JSON.stringify(files)});
    const values = Object.fromEntries(${JSON.stringify(names)}.map((name) => [name, process.env[name] ?? null]));
    console.log(JSON.stringify({ read, values }));`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { env: { PATH: process.env.PATH ?? '', ...env } },
  );
  return JSON.parse(stdout) as { read: string[]; values: Record<string, string | null> };
}

describe('loadEnvFiles', () => {
  it('when a variable is only in the file, then the part gets the file’s value', async () => {
    const file = givenFile('only-file.env', 'PORT=4299\n# a comment\nLOG_LEVEL="debug"\n');

    const { read, values } = await loadInProcess([file], {}, ['PORT', 'LOG_LEVEL']);

    expect(read).toEqual([file]);
    expect(values).toEqual({ PORT: '4299', LOG_LEVEL: 'debug' });
  });

  it('when the environment sets a variable, even empty, then the environment wins over the file', async () => {
    const file = givenFile('overridden.env', 'PORT=4299\nLOG_LEVEL=debug\nHOST=0.0.0.0\n');

    const { values } = await loadInProcess([file], { PORT: '4000', LOG_LEVEL: '' }, [
      'PORT',
      'LOG_LEVEL',
      'HOST',
    ]);

    expect(values).toEqual({ PORT: '4000', LOG_LEVEL: '', HOST: '0.0.0.0' });
  });

  it('when two files set a variable, then the first one wins and the second fills in the rest', async () => {
    const first = givenFile('first.env', 'DATABASE_URL=mysql://first/b2b\n');
    const second = givenFile('second.env', 'DATABASE_URL=mysql://second/b2b\nLOG_LEVEL=warn\n');

    const { read, values } = await loadInProcess([first, second], {}, ['DATABASE_URL', 'LOG_LEVEL']);

    expect(read).toEqual([first, second]);
    expect(values).toEqual({ DATABASE_URL: 'mysql://first/b2b', LOG_LEVEL: 'warn' });
  });

  it('when a file does not exist, then it is skipped without an error', async () => {
    const existing = givenFile('existing.env', 'LOG_LEVEL=error\n');
    const missing = path.join(directory, 'missing.env');

    const { read, values } = await loadInProcess([missing, existing], {}, ['LOG_LEVEL']);

    expect(read).toEqual([existing]);
    expect(values).toEqual({ LOG_LEVEL: 'error' });
  });

  it('when the path cannot be read as a file, then loading fails instead of starting without it', async () => {
    const notAFile = path.join(directory, 'a-directory.env');
    mkdirSync(notAFile);

    // The process dies of the uncaught error (exit 1) instead of printing what it read.
    await expect(loadInProcess([notAFile], {}, [])).rejects.toMatchObject({ code: 1 });
  });
});
