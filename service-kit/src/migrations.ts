import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import connect, { sql, type Connection } from '@databases/mysql';
import { Umzug, type RunnableMigration, type UmzugStorage } from 'umzug';
import { causal, isGaleraSession } from './cluster';
import type { Database } from './database';
import { isDuplicateKey, isRetryableTransactionError } from './database-errors';

const DB_DIRECTORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../db');
const SEED_FILE = path.join(DB_DIRECTORY, 'seed.sql');

/** db/migrations: one `NNNN-description.sql` file per migration, applied in number order. */
export const MIGRATIONS_DIRECTORY = path.join(DB_DIRECTORY, 'migrations');

const MIGRATION_FILE_NAME = /^(\d{4})-[a-z0-9]+(?:-[a-z0-9]+)*\.sql$/;

// db/schema.sql creates the same table: keep the two definitions equal.
const MIGRATIONS_TABLE = sql`
  CREATE TABLE IF NOT EXISTS schema_migrations (
    name       VARCHAR(255) NOT NULL,
    applied_at DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (name)
  ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci`;

// The migration lock: at most one row, the migrator holding it. db/schema.sql creates the same table.
const MIGRATION_LOCK_TABLE = sql`
  CREATE TABLE IF NOT EXISTS schema_migrations_lock (
    name       VARCHAR(64) NOT NULL,
    holder     CHAR(36)    NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    PRIMARY KEY (name)
  ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci`;

/** A migrator's hold on the lock lasts this long unless renewed, which it is every third of it. */
const MIGRATION_LOCK_LEASE_SECONDS = 60;

/** Splits mysql://user@host:port/name into the server URL and the database name. */
export function splitDatabaseUrl(url: string): { serverUrl: string; name: string } {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) {
    throw new Error(`DATABASE_URL must name a database (letters, digits, underscore): ${parsed.pathname}`);
  }
  parsed.pathname = '/';
  return { serverUrl: parsed.toString(), name };
}

/** Creates the database named by `url` on its server when it does not exist yet. */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const { serverUrl, name } = splitDatabaseUrl(url);
  const server = connect({ connectionString: serverUrl, poolSize: 1, onError: () => undefined });
  try {
    await server.query(
      sql`CREATE DATABASE IF NOT EXISTS ${sql.ident(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await server.dispose();
  }
}

export interface MigrateDatabaseOptions {
  /** Folder of `NNNN-description.sql` files; db/migrations unless a test brings its own. */
  directory?: string;
  /** How long to wait for another migrator of the same database to finish; 300 s by default. */
  lockTimeoutSeconds?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Brings the database up to date: applies, in number order, every migration of
 * `directory` not yet recorded in `schema_migrations`, each file as one multi-statement
 * query, and records its name (file name without `.sql`, e.g. `0001-initial-schema`)
 * once it succeeded. Forward only: there are no down migrations.
 *
 * Several replicas may start at once, against one server or against different nodes of a
 * Galera cluster: they take turns on a lock row in the database itself (see
 * withMigrationLock), so each migration runs once and the later ones find nothing pending.
 *
 * Returns the names applied by this call, in order; `[]` when nothing was pending.
 * Throws an Error when a file in `directory` ending in .sql is not named
 * `NNNN-description.sql` or reuses a number, or when the lock is not free within
 * `lockTimeoutSeconds`; throws umzug's `MigrationError` (the database error as `cause`)
 * when a migration fails. MySQL commits each DDL statement on its own, so a migration
 * that failed halfway is left half applied and unrecorded: fix it forward.
 */
export async function migrateDatabase(db: Database, options: MigrateDatabaseOptions = {}): Promise<string[]> {
  const directory = options.directory ?? MIGRATIONS_DIRECTORY;
  const migrations = await listMigrations(directory);
  return withMigrationLock(db, options.lockTimeoutSeconds ?? 300, () =>
    db.task(async (connection) => {
      await connection.query(MIGRATIONS_TABLE);
      const umzug = new Umzug<Connection>({
        migrations,
        context: connection,
        storage: migrationTableStorage,
        logger: undefined,
      });
      const applied = await umzug.up();
      return applied.map((migration) => migration.name);
    }),
  );
}

/** The migrations of `directory` in number order; see `migrateDatabase` for what it throws. */
async function listMigrations(directory: string): Promise<RunnableMigration<Connection>[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.sql')).sort();
  const numbers = new Set<string>();
  return files.map((file) => {
    const number = MIGRATION_FILE_NAME.exec(file)?.[1];
    if (number === undefined) {
      throw new Error(`Migration file ${file} in ${directory} is not named NNNN-description.sql`);
    }
    if (numbers.has(number)) {
      throw new Error(`Two migration files in ${directory} share the number ${number}`);
    }
    numbers.add(number);
    const filePath = path.join(directory, file);
    return {
      name: file.slice(0, -'.sql'.length),
      path: filePath,
      up: ({ context }) => context.query(sql.file(filePath)),
    };
  });
}

/** Records applied migrations in schema_migrations, through the connection umzug runs them on. */
const migrationTableStorage: UmzugStorage<Connection> = {
  async executed({ context }) {
    // Causal on a Galera node: what a migrator on another node recorded is seen here.
    const rows: { name: string }[] = await context.query(
      causal(sql`SELECT name FROM schema_migrations ORDER BY name`, await isGaleraSession(context)),
    );
    return rows.map((row) => row.name);
  },
  async logMigration({ name, context }) {
    await context.query(sql`INSERT INTO schema_migrations (name) VALUES (${name})`);
  },
  async unlogMigration({ name }) {
    throw new Error(`Migrations are forward-only: ${name} cannot be reverted`);
  },
};

/**
 * Runs `work` holding the database's migration lock: the row `migrate` of
 * schema_migrations_lock, inserted with a lease. GET_LOCK would not do: on a Galera cluster
 * it is held on one node only, and two migrators on two nodes both get it. A row is
 * certified by the whole cluster: of two migrators inserting it at once, one gets errno 1062
 * or 1213 and waits. While `work` runs the holder renews its lease every third of
 * MIGRATION_LOCK_LEASE_SECONDS (through another connection of the pool); a lease that ran
 * out belonged to a migrator that died, and the next one deletes it. The row is deleted
 * when `work` ends. Throws an Error when the lock is not free within `timeoutSeconds`.
 */
async function withMigrationLock<T>(
  db: Database,
  timeoutSeconds: number,
  work: () => Promise<T>,
): Promise<T> {
  await db.query(MIGRATION_LOCK_TABLE);
  const holder = randomUUID();
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (let pauseMs = 100; ; pauseMs = Math.min(2 * pauseMs, 1000)) {
    try {
      await db.query(sql`DELETE FROM schema_migrations_lock WHERE name = 'migrate' AND expires_at < NOW(3)`);
      await db.query(sql`
        INSERT INTO schema_migrations_lock (name, holder, expires_at)
        VALUES ('migrate', ${holder}, NOW(3) + INTERVAL ${MIGRATION_LOCK_LEASE_SECONDS} SECOND)`);
      break;
    } catch (error) {
      if (!isDuplicateKey(error) && !isRetryableTransactionError(error)) throw error;
    }
    if (Date.now() + pauseMs > deadline) {
      throw new Error(
        `Another migrator held the migration lock (schema_migrations_lock) for more than ${timeoutSeconds} s`,
      );
    }
    await sleep(pauseMs);
  }
  const renewal = setInterval(
    () => {
      db.query(
        sql`
      UPDATE schema_migrations_lock SET expires_at = NOW(3) + INTERVAL ${MIGRATION_LOCK_LEASE_SECONDS} SECOND
      WHERE name = 'migrate' AND holder = ${holder}`,
      ).catch(() => undefined);
    },
    (MIGRATION_LOCK_LEASE_SECONDS * 1000) / 3,
  );
  renewal.unref();
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    // The work's error matters more than a failed release; the lease frees the lock anyway.
    await db
      .query(sql`DELETE FROM schema_migrations_lock WHERE name = 'migrate' AND holder = ${holder}`)
      .catch(() => undefined);
  }
}

/**
 * Whether seed data may be loaded under this NODE_ENV: only in development (NODE_ENV unset,
 * as for the services) and test. The seed holds the development operator, whose password the
 * README publishes; `npm start` and `npm run seed` both ask here.
 */
export function isSeedEnvironment(nodeEnv: string | undefined): boolean {
  const environment = nodeEnv ?? 'development';
  return environment === 'development' || environment === 'test';
}

/** Applies db/seed.sql; rows that already exist are left alone. */
export async function applySeed(db: Database): Promise<void> {
  await db.query(sql.file(SEED_FILE));
}
