import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('generated/', () => {
  it('when the contracts are regenerated, then nothing in generated/ changes', async () => {
    const { stdout } = await promisify(execFile)('node', ['scripts/generate.mjs', '--check'], { cwd: ROOT });
    expect(stdout).toContain('up to date');
  });
});
