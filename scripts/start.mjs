// `npm start` (and `npm run dev` with --dev): everything from a fresh clone to a running
// system. Installs dependencies if needed (with progress), checks the database (saying
// exactly what is wrong, before anything is built), prepares it, builds, starts the
// Customers API (3001), the Orders API (3002) and the orchestrator under
// serverless-offline (3000), waits for them, and prints how to use them. Logs are
// prefixed by part; Ctrl-C stops everything. Ports, NODE_ENV and DATABASE_URL come from the
// environment or the parts' .env files (scripts/lib/local-settings.mjs); each part reads
// everything else from its own .env itself. The APIs publish their events to NATS JetStream at
// NATS_URL: npm start uses the broker answering there, else starts nats-server when this
// machine has one, else says how to get one. A missing broker never stops the start: the
// events wait in the APIs' outbox until one answers.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
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

await ensureDependencies();

/**
 * Runs scripts/ensure-dependencies.mjs. When that runs npm ci (minutes on a fresh clone, and
 * npm prints nothing until the end when its output is not a terminal), says every 15 s how
 * far it got, so nobody takes it for hung.
 */
async function ensureDependencies() {
  const child = spawn('node', ['scripts/ensure-dependencies.mjs'], { cwd: root, stdio: 'inherit' });
  const startedAt = Date.now();
  const progress = setInterval(() => {
    const seconds = Math.round((Date.now() - startedAt) / 1000);
    console.log(
      `[setup] npm ci is still running (${seconds} s): ${countInstalledPackages()} of ` +
        `about ${countLockedPackages()} packages are in node_modules so far`,
    );
  }, 15_000);
  const [code] = await once(child, 'exit');
  clearInterval(progress);
  if (code !== 0) process.exit(code ?? 1);
}

/** Top-level packages the lock file installs (node_modules/<name> and node_modules/@scope/<name>). */
function countLockedPackages() {
  try {
    const { packages } = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    return Object.keys(packages).filter((key) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(key)).length;
  } catch {
    return '?';
  }
}

/** Top-level packages in node_modules now (npm ci empties it first, then fills it). */
function countInstalledPackages() {
  const directory = path.join(root, 'node_modules');
  try {
    return readdirSync(directory)
      .filter((name) => !name.startsWith('.'))
      .reduce(
        (count, name) => count + (name.startsWith('@') ? readdirSync(path.join(directory, name)).length : 1),
        0,
      );
  } catch {
    return 0;
  }
}

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
      '(docs/operations.md: "Changing ports and the database").',
  );
  process.exit(1);
}

// The database before the build: a wrong password or a stopped server is said in seconds,
// with its own next step, instead of after the build. The check reads DATABASE_URL as the
// other database scripts do (environment, else the APIs' .env files) and names where it
// came from; it creates the database when missing and allowed.
runStep(bin('tsx'), ['scripts/lib/check-database.ts'], {
  env: { ...process.env, NODE_ENV: settings.nodeEnv },
});
runStep(bin('tsx'), ['scripts/prepare-database.ts'], { env });

// NATS_URL: the environment, else the APIs' .env files (local-settings), else the APIs' default.
const natsUrl = settings.natsUrl ?? (process.env.NATS_URL?.trim() || 'nats://127.0.0.1:4222');
env.NATS_URL = natsUrl;
const nats = await ensureNats(natsUrl);

/** Whether a NATS server answers at host:port: it greets every connection with an INFO line. */
function natsAnswers({ host, port }, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (answered) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(String(chunk).startsWith('INFO')));
  });
}

/** nats-server on PATH or where Debian and Homebrew put it; undefined when there is none. */
function findNatsServer() {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  return [...directories, '/usr/local/bin', '/opt/homebrew/bin']
    .filter(Boolean)
    .map((directory) => path.join(directory, 'nats-server'))
    .find((candidate) => existsSync(candidate));
}

/**
 * The broker at NATS_URL (its first server): `{ status: 'running' }` when one answers, else a
 * nats-server of ours (`{ status: 'started', child, address }`) when the address is this
 * machine's and a binary exists, else `{ status: 'missing' }` after saying what to do. Ours runs
 * with JetStream on a store directory that outlives it (streams and consumers survive the next
 * npm start), in a process group of its own, stopped with everything else; unlike the parts,
 * its exit does not stop the others.
 */
async function ensureNats(url) {
  let address;
  try {
    const first = url.split(',')[0].trim();
    const parsed = new URL(first.includes('://') ? first : `nats://${first}`);
    address = { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(parsed.port || 4222) };
  } catch {
    console.error(`NATS_URL "${url}" is not a URL: the APIs keep their events in the outbox.`);
    return { status: 'missing' };
  }
  if (await natsAnswers(address)) return { status: 'running' };
  const waiting = `Meanwhile the APIs keep their events in the outbox and publish them once NATS answers at ${url}.`;
  if (!['127.0.0.1', 'localhost', '::1'].includes(address.host)) {
    console.warn(
      `No NATS server answers at ${url} (not this machine's: npm start starts none there). ${waiting}`,
    );
    return { status: 'missing' };
  }
  const binary = findNatsServer();
  if (!binary) {
    console.warn(
      `No NATS server answers at ${url}, and this machine has no nats-server to start. Install one ` +
        '(Debian/Ubuntu: sudo apt-get install nats-server; otherwise https://nats.io/download) and ' +
        `run npm start again, or start one yourself: nats-server -js -a 127.0.0.1 -p ${address.port}. ${waiting}`,
    );
    return { status: 'missing' };
  }
  const storeDirectory = path.join(tmpdir(), 'b2b-orders-nats');
  mkdirSync(storeDirectory, { recursive: true });
  const host = address.host === 'localhost' ? '127.0.0.1' : address.host;
  const args = ['-js', '-a', host, '-p', String(address.port), '-sd', storeDirectory];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const prefix = `\x1b[90m${'nats'.padEnd(12)}|\x1b[0m `;
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  let stopping = false;
  const stopNats = () => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  // On Ctrl-C it stops with the parts; until the parts' group exists (this handler is then the
  // only one), a signal also ends npm start, as it would without a handler.
  const onSignal = (signal) => {
    stopNats();
    if (process.listenerCount(signal) === 1) process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', stopNats);
  child.once('error', (error) =>
    console.warn(`${prefix}could not start ${binary}: ${error.message}. ${waiting}`),
  );
  child.once('exit', (code, signal) => {
    if (!stopping) console.warn(`${prefix}exited (${signal ?? code}). ${waiting}`);
  });
  console.log(`Starting NATS JetStream on ${host}:${address.port} (${binary} ${args.join(' ')})`);
  return { status: 'started', child, address };
}

/** Waits, bounded, for the nats-server we started; the APIs start either way. */
async function waitForNats() {
  if (nats.status !== 'started') return;
  const deadline = Date.now() + 10_000;
  while (nats.child.exitCode === null && nats.child.signalCode === null && Date.now() < deadline) {
    if (await natsAnswers(nats.address)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.warn(
    `NATS is not answering at ${natsUrl} yet: the APIs start anyway, their events wait in the outbox.`,
  );
}

console.log(`[setup] building ${isDev ? 'the orchestrator bundle' : 'the three parts (about 20 s)'}`);
runStep('npm', isDev ? ['run', 'build', '-w', 'lambda-orchestrator'] : ['run', 'build']);
await waitForNats();

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

const NATS_STATUS = {
  running: 'already running (JetStream streams B2B_ORDERS, B2B_CUSTOMERS)',
  started: 'started by npm start (JetStream streams B2B_ORDERS, B2B_CUSTOMERS)',
  missing: 'not answering: events wait in the outbox (see above)',
};

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

// npm run migrate, seed and operators find DATABASE_URL in the environment or the APIs' .env
// files: one given to this command alone is not theirs, so say what they would use instead.
const { DATABASE_URL: _givenUrl, ...environmentWithoutUrl } = process.env;
const scriptsDatabaseUrl = resolveLocalSettings({ env: environmentWithoutUrl }).settings.databaseUrl;
const redact = (url) => url.replace(/\/\/[^@]*@/, '//***@');
const scriptsDatabaseHint =
  scriptsDatabaseUrl === settings.databaseUrl
    ? ''
    : `
                  npm run migrate, seed and operators use it only with the same DATABASE_URL
                  (export it in this shell, or put it in customers-api/.env and orders-api/.env);
                  without it they use ${redact(scriptsDatabaseUrl)}`;

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
\x1b[32mB2B Orders Backoffice is ready\x1b[0m (${((Date.now() - startedAt) / 1000).toFixed(1)} s after its parts started, ${process.uptime().toFixed(1)} s in all)

  Customers API   ${urls.customers}   docs ${urls.customers}/docs
  Orders API      ${urls.orders}   docs ${urls.orders}/docs
  Orchestrator    ${urls.orchestrator}/orchestrator/create-and-confirm-order
  Database        ${redact(env.DATABASE_URL)}${scriptsDatabaseHint}
  Events (NATS)   ${redact(natsUrl)}   ${NATS_STATUS[nats.status]}

  Development operator: username "operator", password "operator-dev-password"

  Try it:
    TOKEN=$(curl -s ${urls.customers}/auth/token -H 'Content-Type: application/json' \\
      -d '{"username":"operator","password":"operator-dev-password"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
    curl -s ${urls.orchestrator}/orchestrator/create-and-confirm-order \\
      -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      -d '{"customer_id":1,"items":[{"product_id":2,"qty":3}],"idempotency_key":"readme-'$(date +%s)'"}'

  Ctrl-C stops everything.
`);
