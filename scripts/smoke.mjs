// `npm run smoke`: runs the README's curl examples (every ```bash block right after a
// `<!-- smoke -->` line, in order, in one shell) against a running system, and fails as
// soon as one of them fails. It finds the system where `npm start` puts it: CUSTOMERS_PORT,
// ORDERS_PORT, ORCHESTRATOR_PORT and SERVICE_TOKEN from the environment or the parts' .env
// files (scripts/lib/local-settings.mjs), on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveLocalSettings } from './lib/local-settings.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- smoke -->\s*```bash\n([\s\S]*?)```/g)].map((match) => match[1]);
if (blocks.length === 0) {
  console.error('README.md has no <!-- smoke --> blocks');
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

const script = ['set -euo pipefail', ...blocks].join('\n');
const result = spawnSync('bash', ['-c', script], { cwd: root, stdio: 'inherit', env });
if (result.status !== 0) {
  console.error(`\nsmoke: the README's examples failed (exit ${result.status})`);
  process.exit(1);
}
console.log(`\nsmoke: ${blocks.length} README blocks ran without error`);
