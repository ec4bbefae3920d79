// Installs the dependencies when node_modules is missing or stale, so `npm start` and
// `npm test` work on a fresh clone with no other step. "Stale" means the lock file or a
// dependency list in any package.json changed since the last install (editing scripts
// does not count). Only Node built-ins here: this runs before anything is installed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const lockFile = path.join(root, 'package-lock.json');
const npmInstalledLock = path.join(root, 'node_modules/.package-lock.json');
const stampFile = path.join(root, 'node_modules/.b2b-dependencies-stamp');
const manifests = ['.', 'contracts', 'service-kit', 'customers-api', 'orders-api', 'lambda-orchestrator'];

function dependencyFingerprint() {
  const hash = createHash('sha256').update(readFileSync(lockFile));
  for (const folder of manifests) {
    const file = path.join(root, folder, 'package.json');
    if (!existsSync(file)) continue;
    const { dependencies, devDependencies, optionalDependencies, workspaces } = JSON.parse(
      readFileSync(file, 'utf8'),
    );
    hash.update(JSON.stringify({ folder, dependencies, devDependencies, optionalDependencies, workspaces }));
  }
  return hash.digest('hex');
}

function staleReason(fingerprint) {
  if (!existsSync(npmInstalledLock)) return 'node_modules is missing';
  if (existsSync(stampFile)) {
    return readFileSync(stampFile, 'utf8') === fingerprint
      ? null
      : 'the dependencies changed since the last install';
  }
  // Installed by a plain `npm ci` (as CI does): fresh when it ran after the lock file changed.
  return statSync(npmInstalledLock).mtimeMs >= statSync(lockFile).mtimeMs
    ? null
    : 'package-lock.json is newer than node_modules';
}

const fingerprint = dependencyFingerprint();
const reason = staleReason(fingerprint);
if (reason) {
  console.log(`[setup] ${reason}: running npm ci`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
writeFileSync(stampFile, fingerprint);
