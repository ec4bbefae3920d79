// The command blocks of the README and the guides in docs/, as `npm run smoke` runs them and
// `npm run lint` checks them. A command block is a fenced block in a shell language; the line
// before it (blank lines aside) says what happens to it:
//   <!-- smoke -->                  run by `npm run smoke`, in order, in the file's own shell
//   <!-- smoke: skip (a reason) --> shown only (it starts or stops the system, needs Docker or
//                                   AWS, deletes data, …); the reason is required
// A command block with neither is an error, so no command in the docs goes unrun by oversight.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Fence languages whose blocks are commands. */
const COMMAND_LANGUAGES = new Set(['bash', 'sh', 'shell', 'zsh', 'console']);

/**
 * The documentation files, relative to the repository root: README.md first, then every
 * `docs/*.md` by name. That is also the order in which `npm run smoke` runs them.
 */
export function documentationFiles() {
  const guides = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...guides];
}

/** The fenced command blocks of one file (path relative to the root): see parseCommandBlocks. */
export function commandBlocks(file) {
  return parseCommandBlocks(readFileSync(path.join(ROOT, file), 'utf8'));
}

/**
 * The fenced command blocks of Markdown text, in order: `{ line, language, code, marker }`,
 * `line` 1-based at the opening fence, `marker` `'run'`, `'skip'` or `undefined` (unmarked:
 * an error for the callers), `skipReason` for `'skip'`. Blocks in other languages (text,
 * json, yaml, mermaid, none) are not commands and are left out.
 */
export function parseCommandBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[index]);
    if (!open) continue;
    const [, fence, language] = open;
    const end = lines.findIndex((line, at) => at > index && line.startsWith(fence));
    const close = end === -1 ? lines.length : end;
    if (COMMAND_LANGUAGES.has(language.toLowerCase())) {
      let before = index - 1;
      while (before >= 0 && lines[before].trim() === '') before -= 1;
      const comment = before >= 0 ? lines[before].trim() : '';
      const skip = /^<!--\s*smoke:\s*skip\s*\(([^)]+)\)\s*-->$/.exec(comment);
      blocks.push({
        line: index + 1,
        language,
        code: lines.slice(index + 1, close).join('\n'),
        marker: /^<!--\s*smoke\s*-->$/.test(comment) ? 'run' : skip ? 'skip' : undefined,
        skipReason: skip?.[1].trim(),
      });
    }
    index = close;
  }
  return blocks;
}
