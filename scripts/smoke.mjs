// `npm run smoke`: runs the README's curl examples (every ```bash block right after a
// `<!-- smoke -->` line, in order, in one shell) against a running system, and fails as
// soon as one of them fails. Base URLs come from CUSTOMERS, ORDERS, ORCHESTRATOR
// (defaults: the ports `npm start` uses).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- smoke -->\s*```bash\n([\s\S]*?)```/g)].map((match) => match[1]);
if (blocks.length === 0) {
  console.error('README.md has no <!-- smoke --> blocks');
  process.exit(1);
}

const script = ['set -euo pipefail', ...blocks].join('\n');
const result = spawnSync('bash', ['-c', script], { cwd: root, stdio: 'inherit', env: process.env });
if (result.status !== 0) {
  console.error(`\nsmoke: the README's examples failed (exit ${result.status})`);
  process.exit(1);
}
console.log(`\nsmoke: ${blocks.length} README blocks ran without error`);
