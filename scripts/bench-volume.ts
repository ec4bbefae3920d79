// `npm run bench:volume`: the dashboard's and the lists' reads on 1,000,000 orders, before and
// after the indexes of db/migrations/0009-*. Not part of `npm test`; it asserts nothing.
//
// Creates a uniquely named database, applies every migration but 0009, seeds it with
// set-based SQL (1,000,000 orders over the last 365 days for 200 customers, one item each,
// 1,000 products), starts the real Orders API on it (orders-api/src/server.ts under tsx, its
// own process, EVENTS=off), and times each request over HTTP (BENCH_RUNS runs, default 20,
// after 2 warm-up runs: median and p95). Then it applies 0009 (timing the migration) and
// measures again; last, GET /products?stock_below= once more with an index on stock, to show
// whether one is worth having. Prints a table and the EXPLAIN key of each query, then stops
// the API and drops the database (also on errors and Ctrl-C).
//
//   npm run bench:volume
//   BENCH_ORDERS=100000 BENCH_RUNS=10 npm run bench:volume     a smaller, quicker run
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, type Connection } from 'mysql2/promise';
import { connectDatabase, migrateDatabase, signOperatorToken, type AuthConfig } from '@b2b/service-kit';
import { freePort } from '@b2b/service-kit/testing';
import { offsetSegments, readCalendarRange } from '../orders-api/src/stats/calendar-days';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const positive = (name: string, fallback: number) => {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const settings = {
  orders: positive('BENCH_ORDERS', 1_000_000),
  customers: positive('BENCH_CUSTOMERS', 200),
  products: positive('BENCH_PRODUCTS', 1000),
  runs: positive('BENCH_RUNS', 20),
  databaseServer: (env.BENCH_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306').replace(/\/+$/, ''),
};
/** Rows per INSERT … SELECT: big enough to be quick, small enough for the undo log. */
const CHUNK = 100_000;
const DAY_MS = 86_400_000;
/** The orders are spread evenly over this span, newest now. */
const SPAN_MS = 365 * DAY_MS;
/** Orders placed this recently are CREATED (the reservation TTL); every older one is settled. */
const CREATED_WINDOW_MS = 30 * 60_000;
const API_START_TIMEOUT_MS = 60_000;

const startedAt = Date.now();
const log = (message: string) =>
  console.log(`[bench:volume ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${message}`);

const runId = randomBytes(3).toString('hex');
const databaseName = `bench_volume_${new Date().toISOString().slice(0, 10).replace(/-/g, '')}_${runId}`;
const databaseUrl = `${settings.databaseServer}/${databaseName}`;
const auth: AuthConfig = {
  jwtSecret: randomBytes(36).toString('base64url'),
  jwtIssuer: 'b2b-orders-customers-api',
  jwtAudience: 'b2b-orders-backoffice',
  serviceToken: randomBytes(24).toString('base64url'),
  tokenTtlSeconds: 3600,
};

// ───────────────────────────── seeding ─────────────────────────────

/**
 * Products 1…P (explicit ids, so an order's product follows from its id), then orders 1…N in
 * chunks of INSERT … SELECT over a table of 0…CHUNK-1, then one item per order. Order i
 * (0-based, id i+1) was placed i × SPAN/N before `base`; the last 30 minutes' are CREATED,
 * ~7 % of the others CANCELED and the rest CONFIRMED; its customer is 1 + i mod C, its product
 * 1 + i mod P, its qty 1 + i mod 5, its total qty × the product's price.
 */
async function seed(connection: Connection): Promise<void> {
  const { orders, customers, products } = settings;
  const base = new Date();
  const stepMicros = Math.floor((SPAN_MS * 1000) / orders);
  await connection.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
  await connection.query('CREATE TABLE bench_sequence (n INT UNSIGNED NOT NULL PRIMARY KEY) ENGINE = InnoDB');
  const digits =
    'SELECT 0 AS d UNION ALL ' + [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => `SELECT ${d}`).join(' UNION ALL ');
  await connection.query(`
    INSERT INTO bench_sequence (n)
    SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d
    FROM (${digits}) a, (${digits}) b, (${digits}) c, (${digits}) e, (${digits}) f`);

  const price = (id: string) => `(500 + ((${id}) * 137) % 9500)`;
  await connection.query(
    `INSERT INTO products (id, sku, name, price_cents, stock)
     SELECT n + 1, CONCAT('BV-', LPAD(n + 1, 6, '0')), CONCAT('Volume product ', n + 1), ${price('n + 1')},
            (n * 7919) % 1000
     FROM bench_sequence WHERE n < ?`,
    [products],
  );
  log(`seeded ${products} products`);

  for (let offset = 0; offset < orders; offset += CHUNK) {
    const i = `(s.n + ${offset})`;
    const createdAt = `(? - INTERVAL (${i} * ${stepMicros}) MICROSECOND)`;
    const status = `CASE WHEN ${i} * ${stepMicros} < ${CREATED_WINDOW_MS * 1000} THEN 'CREATED'
                         WHEN (${i} * 7919) % 100 < 7 THEN 'CANCELED' ELSE 'CONFIRMED' END`;
    await connection.query(
      `INSERT INTO orders (id, customer_id, customer_name, customer_email, customer_phone, status, total_cents,
                           created_at, updated_at, confirmed_at, canceled_at, cancel_source, cancel_reason)
       SELECT t.i + 1, t.customer_id, CONCAT('Customer ', t.customer_id), CONCAT('customer', t.customer_id, '@example.com'),
              NULL, t.status, t.qty * ${price('t.product_id')}, t.created_at, t.created_at,
              IF(t.status = 'CONFIRMED', t.created_at + INTERVAL 2 MINUTE, NULL),
              IF(t.status = 'CANCELED', t.created_at + INTERVAL 5 MINUTE, NULL),
              IF(t.status = 'CANCELED', 'CLIENT', NULL), NULL
       FROM (
         SELECT ${i} AS i, 1 + ${i} % ${customers} AS customer_id, 1 + ${i} % ${products} AS product_id,
                1 + ${i} % 5 AS qty, ${createdAt} AS created_at, ${status} AS status
         FROM bench_sequence s WHERE ${i} < ?
       ) t`,
      [base, orders],
    );
    await connection.query(
      `INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents)
       SELECT o.id, p.id, p.sku, p.name, 1 + (o.id - 1) % 5, p.price_cents, (1 + (o.id - 1) % 5) * p.price_cents
       FROM orders o JOIN products p ON p.id = 1 + (o.id - 1) % ${products}
       WHERE o.id > ? AND o.id <= ?`,
      [offset, offset + CHUNK],
    );
    log(`seeded ${Math.min(offset + CHUNK, orders).toLocaleString('en')} orders with their items`);
  }
  await connection.query('DROP TABLE bench_sequence');
  await connection.query('ANALYZE TABLE orders, order_items, products');
}

// ───────────────────────────── the API ─────────────────────────────

interface RunningApi {
  url: string;
  child: ChildProcess;
  logFile: string;
}

/** The Orders API as a process of its own, in its own process group (so stopping it ends tsx's child too). */
async function startOrdersApi(logDirectory: string): Promise<RunningApi> {
  const port = await freePort();
  const logFile = path.join(logDirectory, 'orders-api.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'orders-api/src/server.ts'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: {
      PATH: env.PATH,
      HOME: env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      // The queries before the indexes may take seconds: measured, not cut off at the default 3 s.
      DATABASE_STATEMENT_TIMEOUT_MS: '120000',
      // Which the configuration requires to outlast a claim's longest possible hold (unused here).
      IDEMPOTENCY_ABANDONED_CLAIM_SECONDS: '1000',
      JWT_SECRET: auth.jwtSecret,
      SERVICE_TOKEN: auth.serviceToken,
      CURSOR_SECRET: randomBytes(36).toString('base64url'),
      EVENTS: 'off',
      // The sweep would cancel the seeded CREATED orders midway: not within the run.
      ORDER_RESERVATION_SWEEP_INTERVAL_SECONDS: '3600',
      ORDER_RESERVATION_TTL_MINUTES: '30',
    },
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + API_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the Orders API exited with ${child.exitCode}; see ${logFile}`);
    const healthy = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (healthy) return { url, child, logFile };
    if (Date.now() > deadline)
      throw new Error(`the Orders API did not become healthy in time; see ${logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function stopOrdersApi(api: RunningApi | undefined): Promise<void> {
  if (!api || api.child.exitCode !== null || api.child.pid === undefined) return;
  const exited = new Promise((resolve) => api.child.once('exit', resolve));
  process.kill(-api.child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (api.child.exitCode === null) process.kill(-api.child.pid!, 'SIGKILL');
  }, 15_000);
  await exited;
  clearTimeout(timer);
}

// ───────────────────────────── measuring ─────────────────────────────

interface Scenario {
  label: string;
  path: string;
  /** The statement(s) the API runs for it, to EXPLAIN (the list's items query left out). */
  explain: Array<{ sql: string; values: unknown[] }>;
}

interface Figures {
  medianMs: number;
  p95Ms: number;
  plan: string;
}

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The statements of GET /stats/orders-per-day, as stats-repository.ts writes them. */
function perDayStatements(from: string, to: string, timeZone: string) {
  const segments = offsetSegments(readCalendarRange({ from, to, time_zone: timeZone }));
  const part = `SELECT TO_DAYS(created_at + INTERVAL ? SECOND) AS day, status, COUNT(*) AS orders,
                       SUM(total_cents) AS total_cents
                FROM orders WHERE created_at >= ? AND created_at < ? GROUP BY day, status`;
  return [
    {
      sql: segments.map(() => part).join(' UNION ALL '),
      values: segments.flatMap((segment) => [segment.offsetSeconds, segment.start, segment.end]),
    },
  ];
}

function scenarios(customerId: number): Scenario[] {
  const today = Date.now();
  const last30 = { from: utcDate(today - 29 * DAY_MS), to: utcDate(today) };
  const last366 = { from: utcDate(today - 365 * DAY_MS), to: utcDate(today) };
  const perDay = (range: { from: string; to: string }, timeZone: string, label: string): Scenario => ({
    label,
    path: `/stats/orders-per-day?from=${range.from}&to=${range.to}&time_zone=${timeZone}`,
    explain: perDayStatements(range.from, range.to, timeZone),
  });
  const ordersOf = (status?: string) =>
    `SELECT * FROM orders WHERE TRUE ${status ? `AND status = '${status}' ` : ''}AND customer_id = ?
     ORDER BY created_at DESC, id DESC LIMIT 21`;
  return [
    perDay(last30, 'UTC', 'orders-per-day, 30 days, UTC'),
    perDay(last30, 'Europe/Berlin', 'orders-per-day, 30 days, Europe/Berlin'),
    perDay(last366, 'UTC', 'orders-per-day, 366 days, UTC'),
    perDay(last366, 'Europe/Berlin', 'orders-per-day, 366 days, Europe/Berlin'),
    {
      label: 'backlog',
      path: '/stats/backlog',
      explain: [
        {
          sql: `SELECT NOW(3), COUNT(*), COALESCE(SUM(total_cents), 0), MIN(created_at),
                       COALESCE(SUM(created_at <= NOW(3) + INTERVAL -15 MINUTE), 0)
                FROM orders WHERE status = 'CREATED'`,
          values: [],
        },
      ],
    },
    {
      label: `GET /orders?customer_id=${customerId}`,
      path: `/orders?customer_id=${customerId}`,
      explain: [{ sql: ordersOf(), values: [customerId] }],
    },
    {
      // A customer without orders: the old ix_orders_customer_id finds none at once too. The
      // old plan's cost is the sort of all of a customer's orders (5,000 each here) per page.
      label: `GET /orders?customer_id=${settings.customers + 1} (none)`,
      path: `/orders?customer_id=${settings.customers + 1}`,
      explain: [{ sql: ordersOf(), values: [settings.customers + 1] }],
    },
    {
      label: `GET /orders?customer_id=${customerId}&status=CANCELED`,
      path: `/orders?customer_id=${customerId}&status=CANCELED`,
      explain: [{ sql: ordersOf('CANCELED'), values: [customerId] }],
    },
    {
      label: 'GET /products?stock_below=10',
      path: '/products?stock_below=10',
      explain: [
        { sql: 'SELECT * FROM products WHERE id > 0 AND stock < ? ORDER BY id LIMIT 21', values: [10] },
      ],
    },
  ];
}

const percentile = (sorted: number[], fraction: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * fraction) - 1))]!;

/** `key (type; rows; Extra)` of each table access EXPLAIN lists, joined. */
async function planOf(connection: Connection, statements: Scenario['explain']): Promise<string> {
  const lines: string[] = [];
  for (const statement of statements) {
    const [rows] = (await connection.query(`EXPLAIN ${statement.sql}`, statement.values)) as unknown as [
      Array<{
        table: string | null;
        key: string | null;
        type: string | null;
        rows: number | null;
        Extra: string | null;
      }>,
    ];
    for (const row of rows.filter((row) => row.table !== null && !row.table.startsWith('<union'))) {
      lines.push(
        `${row.key ?? 'NO INDEX'} (${row.type}; ~${row.rows} rows${row.Extra ? `; ${row.Extra}` : ''})`,
      );
    }
  }
  // The parts of a UNION ALL read alike: each distinct access once, with how many parts use it.
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, count]) => (count > 1 ? `${count} × ${line}` : line)).join(' | ');
}

async function measure(
  api: RunningApi,
  token: string,
  connection: Connection,
  scenario: Scenario,
): Promise<Figures> {
  const once = async () => {
    const started = performance.now();
    const response = await fetch(`${api.url}${scenario.path}`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(180_000),
    });
    const body = await response.text();
    const elapsed = performance.now() - started;
    if (response.status !== 200)
      throw new Error(`${scenario.path} answered ${response.status}: ${body.slice(0, 300)}`);
    return elapsed;
  };
  for (let warmUp = 0; warmUp < 2; warmUp += 1) await once();
  const timings: number[] = [];
  for (let run = 0; run < settings.runs; run += 1) timings.push(await once());
  timings.sort((a, b) => a - b);
  return {
    medianMs: percentile(timings, 0.5),
    p95Ms: percentile(timings, 0.95),
    plan: await planOf(connection, scenario.explain),
  };
}

async function measureAll(api: RunningApi, token: string, connection: Connection, list: Scenario[]) {
  const results = new Map<string, Figures>();
  for (const scenario of list) {
    results.set(scenario.label, await measure(api, token, connection, scenario));
    log(`  ${scenario.label}: median ${results.get(scenario.label)!.medianMs.toFixed(1)} ms`);
  }
  return results;
}

function printTable(list: Scenario[], phases: Array<{ name: string; results: Map<string, Figures> }>) {
  const width = Math.max(...list.map((scenario) => scenario.label.length));
  const ms = (value: number | undefined) => (value === undefined ? '' : value.toFixed(1)).padStart(9);
  console.log(
    `\n${'request'.padEnd(width)}  ${phases.map((phase) => `${`${phase.name} p50`.padStart(18)} ${'p95'.padStart(9)}`).join('  ')}   (ms, ${settings.runs} runs over HTTP)`,
  );
  for (const scenario of list) {
    const cells = phases.map((phase) => {
      const figures = phase.results.get(scenario.label);
      return `${ms(figures?.medianMs).padStart(18)} ${ms(figures?.p95Ms)}`;
    });
    console.log(`${scenario.label.padEnd(width)}  ${cells.join('  ')}`);
  }
  console.log('\nEXPLAIN (key; type; estimated rows; Extra):');
  for (const scenario of list) {
    console.log(`  ${scenario.label}`);
    for (const phase of phases) {
      const figures = phase.results.get(scenario.label);
      if (figures) console.log(`    ${phase.name.padEnd(12)} ${figures.plan}`);
    }
  }
}

// ───────────────────────────── the run ─────────────────────────────

const scratch = mkdtempSync(path.join(tmpdir(), 'bench-volume-'));
let admin: Connection | undefined;
let api: RunningApi | undefined;
let databaseCreated = false;

async function cleanUp(): Promise<void> {
  await stopOrdersApi(api).catch((error) => console.error('could not stop the Orders API:', error));
  if (databaseCreated && admin) {
    await admin.query(`DROP DATABASE IF EXISTS \`${databaseName}\``);
    log(`dropped ${databaseName}`);
  }
  await admin?.end();
  // Kept after a failure: the API's log is there.
  if (process.exitCode !== 1) rmSync(scratch, { recursive: true, force: true });
}

process.once('SIGINT', () => {
  log('interrupted: cleaning up');
  void cleanUp().finally(() => process.exit(130));
});

try {
  admin = await createConnection(settings.databaseServer);
  await admin.query(`CREATE DATABASE \`${databaseName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  databaseCreated = true;
  log(`created ${databaseName}`);

  // Every migration but 0009: the schema "before".
  const migrations = path.join(root, 'db/migrations');
  const before = path.join(scratch, 'migrations');
  mkdirSync(before);
  for (const file of readdirSync(migrations).filter(
    (name) => name.endsWith('.sql') && !name.startsWith('0009-'),
  ))
    copyFileSync(path.join(migrations, file), path.join(before, file));
  const db = connectDatabase(databaseUrl, { poolSize: 1 });
  try {
    await migrateDatabase(db, { directory: before });

    const connection = await createConnection(databaseUrl);
    try {
      const seedStarted = Date.now();
      await seed(connection);
      log(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

      api = await startOrdersApi(scratch);
      const token = await signOperatorToken(auth, 'bench-volume');
      log(`Orders API up at ${api.url}`);
      const list = scenarios(1 + Math.floor(settings.customers / 2));

      log('measuring BEFORE 0009…');
      const beforeResults = await measureAll(api, token, connection, list);

      const migrationStarted = Date.now();
      const applied = await migrateDatabase(db);
      const migrationSeconds = (Date.now() - migrationStarted) / 1000;
      await connection.query('ANALYZE TABLE orders');
      log(
        `applied ${applied.join(', ')} on ${settings.orders.toLocaleString('en')} orders in ${migrationSeconds.toFixed(1)} s`,
      );

      log('measuring AFTER 0009…');
      const afterResults = await measureAll(api, token, connection, list);

      // Would an index on stock help GET /products?stock_below=? Measured, then removed.
      const productsScenario = list.filter((scenario) => scenario.path.startsWith('/products'));
      await connection.query('ALTER TABLE products ADD KEY ix_bench_products_stock (stock)');
      await connection.query('ANALYZE TABLE products');
      log('measuring GET /products?stock_below= with an index on stock…');
      const stockIndexResults = await measureAll(api, token, connection, productsScenario);
      await connection.query('ALTER TABLE products DROP KEY ix_bench_products_stock');

      console.log(
        `\n${settings.orders.toLocaleString('en')} orders (${settings.customers} customers, ${settings.products} products), ` +
          `0009 applied in ${migrationSeconds.toFixed(1)} s`,
      );
      printTable(list, [
        { name: 'before 0009', results: beforeResults },
        { name: 'after 0009', results: afterResults },
        { name: '+ix(stock)', results: stockIndexResults },
      ]);
    } finally {
      await connection.end();
    }
  } finally {
    await db.dispose();
  }
} catch (error) {
  console.error(error);
  if (api) console.error(`Orders API log: ${api.logFile}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
