// Part of `npm run lint`: the README and the guides in docs/ stay readable and connected.
// - every relative link and image resolves: files, and headings in Markdown files
//   (remark-validate-links, offline: external URLs are not fetched);
// - no link leaves the repository (no `../` past its root, no absolute paths): a reader of a clone has
//   nothing else;
// - the README stays a five-minute read (at most README_MAX_LINES lines; the rest is in docs/);
// - every command block is marked to run under `npm run smoke` or to be skipped, with a reason
//   (scripts/lib/doc-blocks.mjs).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { commandBlocks, documentationFiles, ROOT } from './lib/doc-blocks.mjs';

const README_MAX_LINES = 200;
// The other Markdown of the repository: checked for dead links too, since they link into docs/.
const OTHER_MARKDOWN = ['bench/README.md', 'lambda-orchestrator/README.md'];

const files = documentationFiles();
const problems = [];

const remark = spawnSync(
  path.join(ROOT, 'node_modules/.bin/remark'),
  [
    '--no-config',
    '--no-stdout',
    '--quiet',
    '--frail',
    '--use',
    'remark-validate-links=repository:false',
    ...files,
    ...OTHER_MARKDOWN,
  ],
  { cwd: ROOT, stdio: 'inherit' },
);
if (remark.status !== 0) problems.push('dead links (remark-validate-links, above)');

for (const file of files) {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  // Inline links and images, and reference definitions: [text](target), [label]: target.
  const targets = [
    ...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g),
    ...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm),
  ].map((match) => match[1]);
  for (const target of targets) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    const resolved = path.resolve(path.dirname(path.join(ROOT, file)), target.split('#')[0]);
    if (target.startsWith('/') || path.relative(ROOT, resolved).startsWith('..'))
      problems.push(`${file}: the link ${target} leaves the repository`);
  }
  for (const block of commandBlocks(file)) {
    if (block.marker === undefined)
      problems.push(
        `${file}:${block.line}: a command block needs <!-- smoke --> or <!-- smoke: skip (reason) --> before it`,
      );
  }
}

const readmeLines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length;
if (readmeLines > README_MAX_LINES)
  problems.push(
    `README.md has ${readmeLines} lines (at most ${README_MAX_LINES}): move the detail to a guide in docs/`,
  );

if (problems.length > 0) {
  console.error(`lint-docs:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `lint-docs: ${files.length} files, README.md ${readmeLines} lines, links and command blocks fine`,
);
