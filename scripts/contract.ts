// `npm run contract`: Dredd runs every documented operation of every contract against the
// real, running system. A fresh database (no seed, only the development operator), the
// built Customers and Orders APIs as processes, the orchestrator under serverless-offline;
// each contract bundled to a YAML file Dredd can read; the hooks in
// contract-tests/dredd-hooks.cjs make every transaction real. Everything started is
// stopped and the database dropped, whatever happens. Exits non-zero on any failure, and on
// any skipped transaction: every documented status is answered by a running part.
//
// The statuses of a failing dependency come from second instances of the same builds,
// started broken on purpose, to which the hooks send those transactions: 503 from an API
// whose DATABASE_URL points at a closed port; 502 from a part whose upstreams are a closed
// port; 504 from one whose upstreams are a TCP server that never answers (with a short
// upstream timeout, so the run stays fast).
//
// CONTRACT_BUNDLE_DIR points the run at other bundled contracts (default generated/): how
// a deliberately broken copy of a contract is shown to fail.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from '@databases/mysql';
import YAML from 'yaml';
import {
  TEST_AUTH,
  closedPort,
  createTestDatabase,
  freePorts,
  startChildService,
  startSilentServer,
  type ChildService,
  type SilentServer,
  type TestDatabase,
} from '@b2b/service-kit/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundleDir = path.resolve(process.env.CONTRACT_BUNDLE_DIR ?? path.join(root, 'generated'));
const CONTRACTS = ['customers', 'orders', 'orchestrator'] as const;
type ContractName = (typeof CONTRACTS)[number];

// db/seed.sql's development operator (operator / operator-dev-password), so the hooks log
// in through POST /auth/token like any client.
const DEV_OPERATOR_HASH =
  'scrypt$16384$8$1$x5T0mvlhbuXwqM4jEKHzkg$ODBHE0aq62UWrxesCo9xOS-EnPBSmrVf8HEtOgIoNDEWdgMpJQeRtgD-zrIv2y_h3QFepLP_PBuUDBXfAC8U5g';

const started: ChildService[] = [];
let runningDredd: ChildProcess | undefined;
let database: TestDatabase | undefined;
let silentUpstream: SilentServer | undefined;
let workDir: string | undefined;
let cleaningUp: Promise<void> | undefined;

/** Stops every process and drops the database; a second call (a second Ctrl-C) waits for the first. */
function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    if (runningDredd?.pid && runningDredd.exitCode === null) {
      try {
        process.kill(-runningDredd.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all([...started.map((service) => service.stop()), silentUpstream?.close()]);
    await database?.drop().catch((error) => console.error(`could not drop ${database?.name}: ${error}`));
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaningUp;
}

/** Remembers started processes for clean-up; one that finished starting after Ctrl-C is stopped at once. */
function track(...services: ChildService[]): void {
  started.push(...services);
  if (cleaningUp) for (const service of services) void service.stop();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!cleaningUp) console.error(`\n${signal}: stopping everything`);
    void cleanUp().finally(() => process.exit(130));
  });
}

/** The bundled contract as YAML Dredd 14 can read: block style, YAML 1.1 quoting, one server. */
function writeDreddContract(name: ContractName, serverUrl: string): string {
  const contract = JSON.parse(readFileSync(path.join(bundleDir, `${name}.openapi.json`), 'utf8'));
  contract.servers = [{ url: serverUrl }];
  const file = path.join(workDir!, `${name}.yaml`);
  // YAML 1.1 quotes strings such as timestamps that Dredd's parser would otherwise retype.
  writeFileSync(file, YAML.stringify(contract, { version: '1.1', lineWidth: 0 }));
  return file;
}

// Dredd colours its report; the summary is read from the plain text.
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');
const stripColors = (text: string) => text.replace(ANSI_COLOR, '');

interface DreddResult {
  name: ContractName;
  exitCode: number;
  summary: string;
  skipped: number;
}

/** Runs Dredd as a child process in its own process group, printing its report. */
function runDredd(
  name: ContractName,
  file: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
): Promise<DreddResult> {
  return new Promise((resolve) => {
    const child = spawn(
      path.join(root, 'node_modules/.bin/dredd'),
      [
        file,
        serverUrl,
        '--hookfiles',
        path.join(root, 'contract-tests/dredd-hooks.cjs'),
        '--loglevel',
        'warning',
      ],
      { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    runningDredd = child;
    let output = '';
    let parserWarnings = 0;
    const onLine = (line: string) => {
      output += line + '\n';
      // Dredd's OAS3 parser warns about every keyword it does not understand (tags,
      // minLength, additionalProperties…); the hooks validate bodies with the full schema.
      if (/API description parser warning|padLevels|--trace-warnings/.test(line)) {
        parserWarnings += 1;
        return;
      }
      process.stdout.write(`${name.padEnd(12)}| ${line}\n`);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        lines.forEach(onLine);
      });
    }
    child.on('close', (code) => {
      const summary = /complete.*?(\d+ passing.*total)/.exec(stripColors(output))?.[1] ?? 'no summary';
      console.log(
        `${name.padEnd(12)}| (${parserWarnings} Dredd parser warnings about unsupported OpenAPI keywords hidden)`,
      );
      const skipped = Number(/(\d+) skipped/.exec(summary)?.[1] ?? 0);
      resolve({ name, exitCode: code ?? 1, summary, skipped });
    });
  });
}

/**
 * Waits for every start, so none is left running unseen when another fails; each is
 * tracked for clean-up as soon as it is up.
 */
async function startAll<Name extends string>(
  starts: Record<Name, Promise<ChildService>>,
): Promise<Record<Name, ChildService>> {
  const entries = Object.entries(starts) as [Name, Promise<ChildService>][];
  const settled = await Promise.allSettled(
    entries.map(([, start]) => start.then((service) => (track(service), service))),
  );
  const failure = settled.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return Object.fromEntries(
    entries.map(([name], index) => [name, (settled[index] as PromiseFulfilledResult<ChildService>).value]),
  ) as Record<Name, ChildService>;
}

async function main(): Promise<number> {
  console.log('Building the Customers API, the Orders API and the orchestrator…');
  execFileSync(
    'npm',
    ['run', 'build', '-w', 'customers-api', '-w', 'orders-api', '-w', 'lambda-orchestrator'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );

  database = await createTestDatabase();
  await database.db.query(
    sql`INSERT INTO operators (username, password_hash) VALUES ('operator', ${DEV_OPERATOR_HASH})`,
  );
  console.log(`Database ${database.name} created and migrated (no seed).`);
  workDir = mkdtempSync(path.join(os.tmpdir(), 'b2b-contract-'));

  // The failures the second instances meet: nothing listening, and a listener that never answers.
  const nobodyListens = String(await closedPort());
  const closed = `http://127.0.0.1:${nobodyListens}`;
  const downDatabaseUrl = new URL(database.url);
  downDatabaseUrl.port = nobodyListens;
  silentUpstream = await startSilentServer();

  // Twelve distinct ports: two services given one would answer for each other.
  const names = [
    'customers',
    'orders',
    'orchestrator',
    'orchestratorLambda',
    'customersDatabaseDown',
    'ordersDatabaseDown',
    'ordersUpstreamClosed',
    'ordersUpstreamSilent',
    'orchestratorUpstreamsClosed',
    'orchestratorUpstreamsClosedLambda',
    'orchestratorUpstreamsSilent',
    'orchestratorUpstreamsSilentLambda',
  ] as const;
  const allocated = await freePorts(names.length);
  const ports = Object.fromEntries(names.map((name, index) => [name, String(allocated[index])])) as Record<
    (typeof names)[number],
    string
  >;
  const urlOf = (port: string) => `http://127.0.0.1:${port}`;
  const urls = {
    customers: urlOf(ports.customers),
    orders: urlOf(ports.orders),
    orchestrator: urlOf(ports.orchestrator),
  };
  const secrets = {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_AUTH.jwtSecret,
    SERVICE_TOKEN: TEST_AUTH.serviceToken,
  };
  // Dredd checks what the APIs answer; their events stay in the outbox and the feed
  // (EVENTS_PUBLISH=off), so a contract run publishes nothing to the machine's NATS.
  const serviceEnv = {
    ...secrets,
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    LOG_LEVEL: 'warn',
    EVENTS_PUBLISH: 'off',
  };
  // Short enough to keep the 504 transactions fast, long enough for a healthy local call.
  const UPSTREAM_TIMEOUT_MS = '200';
  // Nine processes start at once (three under serverless-offline); on a busy two-core
  // machine that has taken over 30 s. Readiness is polled, so the bound costs nothing.
  const startTimeoutMs = 120_000;

  const startCustomersApi = (port: string, env: NodeJS.ProcessEnv = {}) =>
    startChildService('node', ['customers-api/dist/server.js'], {
      cwd: root,
      readyUrl: `${urlOf(port)}/health`,
      timeoutMs: startTimeoutMs,
      env: { ...serviceEnv, PORT: port, ...env },
    });
  const startOrdersApi = (port: string, env: NodeJS.ProcessEnv) =>
    startChildService('node', ['orders-api/dist/server.js'], {
      cwd: root,
      readyUrl: `${urlOf(port)}/health`,
      timeoutMs: startTimeoutMs,
      env: { ...serviceEnv, PORT: port, ...env },
    });
  const startOrchestrator = (port: string, lambdaPort: string, env: NodeJS.ProcessEnv) =>
    startChildService(path.join(root, 'node_modules/.bin/serverless'), ['offline', 'start'], {
      cwd: path.join(root, 'lambda-orchestrator'),
      readyUrl: `${urlOf(port)}/orchestrator/create-and-confirm-order`,
      timeoutMs: startTimeoutMs,
      env: {
        ...secrets,
        LOG_LEVEL: 'warn',
        ORCHESTRATOR_PORT: port,
        ORCHESTRATOR_LAMBDA_PORT: lambdaPort,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        ...env,
      },
    });

  // An API answers (503) even when its database is down: the pool connects on first use.
  const services = await startAll({
    customers: startCustomersApi(ports.customers),
    orders: startOrdersApi(ports.orders, {
      CUSTOMERS_API_BASE: urls.customers,
      // So a confirmed order is already past its cancel window: the documented 409.
      ORDER_CANCEL_WINDOW_MINUTES: '0',
    }),
    orchestrator: startOrchestrator(ports.orchestrator, ports.orchestratorLambda, {
      ORDERS_API_BASE: urls.orders,
    }),
    'customers (database down)': startCustomersApi(ports.customersDatabaseDown, {
      DATABASE_URL: downDatabaseUrl.toString(),
    }),
    // Its Customers API is up, so POST /orders gets as far as the database.
    'orders (database down)': startOrdersApi(ports.ordersDatabaseDown, {
      DATABASE_URL: downDatabaseUrl.toString(),
      CUSTOMERS_API_BASE: urls.customers,
    }),
    'orders (Customers API down)': startOrdersApi(ports.ordersUpstreamClosed, {
      CUSTOMERS_API_BASE: closed,
    }),
    'orders (Customers API silent)': startOrdersApi(ports.ordersUpstreamSilent, {
      CUSTOMERS_API_BASE: silentUpstream.url,
      CUSTOMERS_API_TIMEOUT_MS: UPSTREAM_TIMEOUT_MS,
    }),
    'orchestrator (upstreams down)': startOrchestrator(
      ports.orchestratorUpstreamsClosed,
      ports.orchestratorUpstreamsClosedLambda,
      { ORDERS_API_BASE: closed },
    ),
    'orchestrator (upstreams silent)': startOrchestrator(
      ports.orchestratorUpstreamsSilent,
      ports.orchestratorUpstreamsSilentLambda,
      {
        ORDERS_API_BASE: silentUpstream.url,
        UPSTREAM_TIMEOUT_MS,
      },
    ),
  });
  console.log(
    `Running: customers ${urls.customers}, orders ${urls.orders}, orchestrator ${urls.orchestrator}, ` +
      `and for the failure statuses ${Object.keys(services)
        .filter((name) => name.includes('('))
        .join(', ')}\n`,
  );

  // Where the hooks send the transactions of each failure status (dredd-hooks.cjs).
  const faultyInstances: Record<ContractName, NodeJS.ProcessEnv> = {
    customers: { DATABASE_DOWN_URL: urlOf(ports.customersDatabaseDown) },
    orders: {
      DATABASE_DOWN_URL: urlOf(ports.ordersDatabaseDown),
      UPSTREAM_DOWN_URL: urlOf(ports.ordersUpstreamClosed),
      UPSTREAM_SILENT_URL: urlOf(ports.ordersUpstreamSilent),
    },
    orchestrator: {
      UPSTREAM_DOWN_URL: urlOf(ports.orchestratorUpstreamsClosed),
      UPSTREAM_SILENT_URL: urlOf(ports.orchestratorUpstreamsSilent),
    },
  };

  const results: DreddResult[] = [];
  for (const name of CONTRACTS) {
    const file = writeDreddContract(name, urls[name]);
    results.push(
      await runDredd(name, file, urls[name], {
        CONTRACT_NAME: name,
        CONTRACT_FILE: file,
        CUSTOMERS_API_URL: urls.customers,
        ORDERS_API_URL: urls.orders,
        SERVICE_TOKEN: TEST_AUTH.serviceToken,
        // The hooks insert a webhook delivery, which only the dispatcher writes otherwise.
        DATABASE_URL: database.url,
        ...faultyInstances[name],
      }),
    );
  }

  // A skipped transaction is a documented status nothing proved: as bad as a failure.
  const isPassed = (result: DreddResult) => result.exitCode === 0 && result.skipped === 0;
  const isGreen = results.every(isPassed);
  if (!isGreen) {
    for (const [name, service] of Object.entries(services)) {
      const tail = service.output().trim().split('\n').slice(-30).join('\n');
      if (tail) console.log(`\n--- last output of ${name} ---\n${tail}`);
    }
  }
  console.log('\nDredd summary');
  for (const result of results) {
    console.log(`  ${result.name.padEnd(13)} ${isPassed(result) ? 'ok  ' : 'FAIL'}  ${result.summary}`);
  }
  if (results.some((result) => result.skipped > 0)) {
    console.log('\nEvery documented status must be provoked: a skipped transaction fails the run.');
  }
  return isGreen ? 0 : 1;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(error);
} finally {
  await cleanUp();
}
process.exit(exitCode);
