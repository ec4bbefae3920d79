// Makes DATABASE_URL usable for `npm start`: finds the server (or starts the Compose MySQL
// when a Docker engine is available), creates the database, applies the pending migrations,
// and, in development and test only, seeds it when it holds no data yet. The seed holds the
// development operator, whose password is published: production starts with no operator
// (`npm run operators -- create <username>` makes the first one).
import { execFileSync } from 'node:child_process';
import {
  applySeed,
  isSeedEnvironment,
  connectDatabase,
  DEFAULT_DATABASE_URL,
  ensureDatabaseExists,
  migrateDatabase,
  splitDatabaseUrl,
  sql,
} from '@b2b/service-kit';
import connect from '@databases/mysql';
import { hasDockerEngine } from './lib/docker';

const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
// Unset is development, as for the services (service-kit's readServiceConfig).
const environment = process.env.NODE_ENV ?? 'development';
const isSeeded = isSeedEnvironment(process.env.NODE_ENV);
const { serverUrl, name } = splitDatabaseUrl(url);
const where = new URL(serverUrl).host;

async function isServerReachable(): Promise<boolean> {
  const server = connect({ connectionString: serverUrl, poolSize: 1, onError: () => undefined });
  try {
    await server.query(sql`SELECT 1`);
    return true;
  } catch {
    return false;
  } finally {
    await server.dispose().catch(() => undefined);
  }
}

async function waitForServer(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isServerReachable()) return true;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  return false;
}

if (!(await isServerReachable())) {
  if (hasDockerEngine()) {
    console.log(
      `[setup] nothing answers at ${where}; starting the Compose MySQL (docker compose up -d mysql)`,
    );
    execFileSync('docker', ['compose', 'up', '-d', 'mysql'], { stdio: 'inherit' });
    if (!(await waitForServer(120_000))) {
      console.error('[setup] the Compose MySQL did not become reachable within 2 minutes');
      process.exit(1);
    }
  } else {
    console.error(`[setup] No MySQL/MariaDB answers at ${where} and no Docker engine is available.
Provide a database server in one of these ways, then run npm start again:
  - point DATABASE_URL at a MySQL 8 or MariaDB 10.11+ server you can reach, e.g.
      DATABASE_URL=mysql://user:password@host:3306/b2b_orders npm start
  - on Debian/Ubuntu: sudo apt-get install mariadb-server && sudo service mariadb start
    (the default DATABASE_URL is ${DEFAULT_DATABASE_URL}, user root with an empty password)
  - with Docker: MYSQL_ALLOW_EMPTY_PASSWORD=yes docker compose up -d mysql`);
    process.exit(1);
  }
}

await ensureDatabaseExists(url);
const db = connectDatabase(url, { poolSize: 1 });
try {
  const applied = await migrateDatabase(db);
  const migrated = applied.length === 0 ? 'up to date' : `migrated (${applied.join(', ')})`;
  if (isSeeded) {
    const [{ products }] = await db.query(sql`SELECT COUNT(*) AS products FROM products`);
    if (Number(products) === 0) {
      await applySeed(db);
      console.log(`[setup] database ${name} ${migrated} and seeded`);
    } else {
      console.log(`[setup] database ${name} ${migrated}; it already holds data, seed skipped`);
    }
  } else {
    const [{ operators }] = await db.query(sql`SELECT COUNT(*) AS operators FROM operators`);
    console.log(`[setup] database ${name} ${migrated}; NODE_ENV=${environment}: no seed data`);
    if (Number(operators) === 0) {
      console.log(
        '[setup] no operator yet: create the first one with npm run operators -- create <username>',
      );
    }
  }
} finally {
  await db.dispose();
}
