// `npm start` (and `npm run dev` with --dev): everything from a fresh clone to a running
// system. Installs dependencies if needed, builds, prepares the database, starts the
// Customers API (3001), the Orders API (3002) and the orchestrator under
// serverless-offline (3000), waits for them, and prints how to use them. Logs are
// prefixed by part; Ctrl-C stops everything. Ports, NODE_ENV and DATABASE_URL come from the
// environment or the parts' .env files (scripts/lib/local-settings.mjs); each part reads
// everything else from its own .env itself.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_NODE_FLAGS } from './lib/api-process.mjs';
import { resolveLocalSettings } from './lib/local-settings.mjs';
import { createProcessGroup } from './lib/process-group.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isDev = process.argv.includes('--dev');
const bin = (name) => path.join(root, 'node_modules/.bin', name);

/** Runs one set-up step; when it fails, its own output has said why, so just stop. */
function runStep(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const { settings, problems } = resolveLocalSettings();
if (problems.length > 0) {
  console.error(`Cannot start:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  process.exit(1);
}

runStep('node', ['scripts/ensure-dependencies.mjs']);

// The same database and NODE_ENV for the set-up step and every part.
const env = { ...process.env, NODE_ENV: settings.nodeEnv, DATABASE_URL: settings.databaseUrl };
const { ports } = settings;
const urls = {
  customers: `http://127.0.0.1:${ports.customers}`,
  orders: `http://127.0.0.1:${ports.orders}`,
  orchestrator: `http://127.0.0.1:${ports.orchestrator}`,
};

function isPortFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const taken = [];
for (const [part, port] of Object.entries(ports)) {
  if (!(await isPortFree(port))) taken.push(`${port} (${part})`);
}
if (taken.length > 0) {
  console.error(
    `Port ${taken.join(', ')} already in use. Stop whatever holds it (e.g. an earlier npm start: ` +
      `lsof -i :${ports.customers}) or choose others with CUSTOMERS_PORT, ORDERS_PORT, ORCHESTRATOR_PORT, ORCHESTRATOR_LAMBDA_PORT ` +
      '(README: "Changing ports and the database").',
  );
  process.exit(1);
}

runStep('npm', isDev ? ['run', 'build', '-w', 'lambda-orchestrator'] : ['run', 'build']);
runStep(bin('tsx'), ['scripts/prepare-database.ts'], { env });

const group = createProcessGroup({ label: 'everything' });
const run = (name, command, args, options = {}) =>
  group.run(name, command, args, { cwd: options.cwd ?? root, env: { ...env, ...options.env } });

const api = (workspace) =>
  isDev
    ? [bin('tsx'), ['watch', `${workspace}/src/server.ts`]]
    : ['node', [...API_NODE_FLAGS, `${workspace}/dist/server.js`]];

run('customers', ...api('customers-api'), { env: { PORT: String(ports.customers) } });
run('orders', ...api('orders-api'), {
  env: { PORT: String(ports.orders), CUSTOMERS_API_BASE: urls.customers },
});
if (isDev) run('orchestrator-build', 'npm', ['run', 'build', '-w', 'lambda-orchestrator', '--', '--watch']);
run('orchestrator', bin('serverless'), ['offline', 'start', ...(isDev ? ['--reloadHandler'] : [])], {
  cwd: path.join(root, 'lambda-orchestrator'),
  env: {
    ORCHESTRATOR_PORT: String(ports.orchestrator),
    ORCHESTRATOR_LAMBDA_PORT: String(ports.orchestratorLambda),
    ORDERS_API_BASE: urls.orders,
    // --reloadHandler needs a worker per call.
    ORCHESTRATOR_IN_PROCESS: isDev ? 'false' : settings.orchestratorInProcess,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_INTERACTIVE_SETUP_DISABLE: '1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
  },
});

async function waitFor(name, check) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (group.isStopping()) return;
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  console.error(`${name} did not become ready within 60 s`);
  await group.stop(1);
}

const startedAt = Date.now();
await Promise.all([
  waitFor('Customers API', async () => (await fetch(`${urls.customers}/health`)).status === 200),
  waitFor('Orders API', async () => (await fetch(`${urls.orders}/health`)).status === 200),
  // Without a token the orchestrator answers 401: that proves the function is served.
  waitFor(
    'Orchestrator',
    async () =>
      (await fetch(`${urls.orchestrator}/orchestrator/create-and-confirm-order`, { method: 'POST' }))
        .status === 401,
  ),
]);
if (group.isStopping()) await new Promise(() => {});

console.log(`
\x1b[32mB2B Orders Backoffice is ready\x1b[0m (${((Date.now() - startedAt) / 1000).toFixed(1)} s after start)

  Customers API   ${urls.customers}   docs ${urls.customers}/docs
  Orders API      ${urls.orders}   docs ${urls.orders}/docs
  Orchestrator    ${urls.orchestrator}/orchestrator/create-and-confirm-order
  Database        ${env.DATABASE_URL.replace(/\/\/[^@]*@/, '//***@')}

  Development operator: username "operator", password "operator-dev-password"

  Try it:
    TOKEN=$(curl -s ${urls.customers}/auth/token -H 'Content-Type: application/json' \\
      -d '{"username":"operator","password":"operator-dev-password"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
    curl -s ${urls.orchestrator}/orchestrator/create-and-confirm-order \\
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      -d '{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"readme-'$(date +%s)'"}'

  Ctrl-C stops everything.
`);
