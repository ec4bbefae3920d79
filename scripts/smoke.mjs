// `npm run smoke`: runs the command blocks of the README and of every guide in docs/ against a
// running system, and fails as soon as one of them fails. A block runs when the line before it
// is `<!-- smoke -->`; `<!-- smoke: skip (reason) -->` marks one that must not (it starts the
// system, needs Docker, deletes data); an unmarked command block is an error
// (scripts/lib/doc-blocks.mjs). Each file's blocks run in order in one shell of their own, so
// every guide sets up what its blocks use, as a reader following it would. It finds the system
// where `npm start` puts it: CUSTOMERS_PORT, ORDERS_PORT, ORCHESTRATOR_PORT and SERVICE_TOKEN
// from the environment or the parts' .env files (scripts/lib/local-settings.mjs), on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { commandBlocks, documentationFiles, ROOT } from './lib/doc-blocks.mjs';
import { resolveLocalSettings } from './lib/local-settings.mjs';

const files = documentationFiles().map((file) => ({ file, blocks: commandBlocks(file) }));
const unmarked = files.flatMap(({ file, blocks }) =>
  blocks.filter((block) => block.marker === undefined).map((block) => `${file}:${block.line}`),
);
if (unmarked.length > 0) {
  console.error(
    `smoke: command blocks without <!-- smoke --> or <!-- smoke: skip (reason) --> before them: ${unmarked.join(', ')}`,
  );
  process.exit(1);
}
const runnable = files
  .map(({ file, blocks }) => ({ file, blocks: blocks.filter((block) => block.marker === 'run') }))
  .filter(({ blocks }) => blocks.length > 0);
if (runnable.length === 0) {
  console.error('smoke: the README and docs/ have no <!-- smoke --> blocks');
  process.exit(1);
}

const { settings, problems } = resolveLocalSettings();
if (problems.length > 0) {
  console.error(`smoke: ${problems.join('; ')}`);
  process.exit(1);
}
const env = {
  ...process.env,
  CUSTOMERS_PORT: String(settings.ports.customers),
  ORDERS_PORT: String(settings.ports.orders),
  ORCHESTRATOR_PORT: String(settings.ports.orchestrator),
  ...(settings.serviceToken && { SERVICE_TOKEN: settings.serviceToken }),
};

let count = 0;
for (const { file, blocks } of runnable) {
  console.log(`\nsmoke: ${file}, ${blocks.length} block(s)`);
  const script = ['set -euo pipefail', ...blocks.map((block) => block.code)].join('\n');
  const result = spawnSync('bash', ['-c', script], { cwd: ROOT, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`\nsmoke: the examples of ${file} failed (exit ${result.status})`);
    process.exit(1);
  }
  count += blocks.length;
}
console.log(`\nsmoke: ${count} blocks of the README and docs/ ran without error (${runnable.length} files)`);
