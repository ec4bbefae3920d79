// `npm run contract`: Dredd runs every documented operation of every contract against the
// real, running system. A fresh database (no seed, only the development operator), the
// built Customers and Orders APIs as processes, the orchestrator under serverless-offline;
// each contract bundled to a YAML file Dredd can read; the hooks in
// contract-tests/dredd-hooks.cjs make every transaction real. Everything started is
// stopped and the database dropped, whatever happens. Exits non-zero on any failure.
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
  createTestDatabase,
  freePort,
  startChildService,
  type ChildService,
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
    await Promise.all(started.map((service) => service.stop()));
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
  skipped: string[];
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
    const skipped: string[] = [];
    const onLine = (line: string) => {
      output += line + '\n';
      // Dredd's OAS3 parser warns about every keyword it does not understand (tags,
      // minLength, additionalProperties…); the hooks validate bodies with the full schema.
      if (/API description parser warning|padLevels|--trace-warnings/.test(line)) {
        parserWarnings += 1;
        return;
      }
      const skipReason = /hook.*skipped (.*)$/.exec(line);
      if (skipReason) skipped.push(skipReason[1]!);
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
      resolve({ name, exitCode: code ?? 1, summary, skipped });
    });
  });
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

  const [customersPort, ordersPort, orchestratorPort, lambdaPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const urls = {
    customers: `http://127.0.0.1:${customersPort}`,
    orders: `http://127.0.0.1:${ordersPort}`,
    orchestrator: `http://127.0.0.1:${orchestratorPort}`,
  };
  const secrets = {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_AUTH.jwtSecret,
    SERVICE_TOKEN: TEST_AUTH.serviceToken,
  };
  const serviceEnv = { ...secrets, HOST: '127.0.0.1', DATABASE_URL: database.url, LOG_LEVEL: 'warn' };

  const [customers, orders] = await Promise.all([
    startChildService('node', ['customers-api/dist/server.js'], {
      cwd: root,
      readyUrl: `${urls.customers}/health`,
      env: { ...serviceEnv, PORT: String(customersPort) },
    }),
    startChildService('node', ['orders-api/dist/server.js'], {
      cwd: root,
      readyUrl: `${urls.orders}/health`,
      env: {
        ...serviceEnv,
        PORT: String(ordersPort),
        CUSTOMERS_API_BASE: urls.customers,
        // So a confirmed order is already past its cancel window: the documented 409.
        ORDER_CANCEL_WINDOW_MINUTES: '0',
      },
    }),
  ]);
  track(customers, orders);
  const orchestrator = await startChildService(
    path.join(root, 'node_modules/.bin/serverless'),
    ['offline', 'start'],
    {
      cwd: path.join(root, 'lambda-orchestrator'),
      readyUrl: `${urls.orchestrator}/orchestrator/create-and-confirm-order`,
      env: {
        ...secrets,
        LOG_LEVEL: 'warn',
        ORCHESTRATOR_PORT: String(orchestratorPort),
        ORCHESTRATOR_LAMBDA_PORT: String(lambdaPort),
        CUSTOMERS_API_BASE: urls.customers,
        ORDERS_API_BASE: urls.orders,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    },
  );
  track(orchestrator);
  console.log(
    `Running: customers ${urls.customers}, orders ${urls.orders}, orchestrator ${urls.orchestrator}\n`,
  );

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
      }),
    );
  }

  const isGreen = results.every((result) => result.exitCode === 0);
  if (!isGreen) {
    for (const [name, service] of Object.entries({ customers, orders, orchestrator })) {
      const tail = service.output().trim().split('\n').slice(-30).join('\n');
      if (tail) console.log(`\n--- last output of ${name} ---\n${tail}`);
    }
  }
  console.log('\nDredd summary');
  for (const result of results) {
    console.log(`  ${result.name.padEnd(13)} ${result.exitCode === 0 ? 'ok  ' : 'FAIL'}  ${result.summary}`);
  }
  const skippedByReason = new Map<string, string[]>();
  for (const result of results) {
    for (const skip of result.skipped) {
      const [transaction, reason] = skip.split(/: (.*)/s) as [string, string];
      skippedByReason.set(reason, [...(skippedByReason.get(reason) ?? []), `${result.name}: ${transaction}`]);
    }
  }
  if (skippedByReason.size > 0) console.log('\nSkipped: documented statuses this setup cannot provoke');
  for (const [reason, transactions] of skippedByReason) {
    console.log(`  ${reason}:\n${transactions.map((transaction) => `    ${transaction}`).join('\n')}`);
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
