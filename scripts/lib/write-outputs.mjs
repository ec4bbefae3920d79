import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes generated files that differ from what is on disk, or with `isCheck` writes
 * nothing and exits 1 when any differs: the drift check of everything we generate.
 * `outputs` maps paths (relative to `root`) to their full content.
 */
export async function writeOrCheckOutputs({ root, label, command, outputs, isCheck }) {
  const stale = [];
  for (const [file, content] of Object.entries(outputs)) {
    const target = path.resolve(root, file);
    const current = await readFile(target, 'utf8').catch(() => null);
    if (current === content) continue;
    stale.push(path.relative(root, target));
    if (!isCheck) {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
  }
  const total = Object.keys(outputs).length;
  if (isCheck && stale.length > 0) {
    console.error(`${label} is stale (run \`${command}\`): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(
    isCheck
      ? `${label} is up to date (${total} files)`
      : `${label}: ${stale.length} of ${total} files written`,
  );
}
