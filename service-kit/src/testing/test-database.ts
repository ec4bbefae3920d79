import { randomBytes } from 'node:crypto';
import connect, { sql } from '@databases/mysql';
import { connectDatabase, type Database } from '../database';
import { migrateDatabase } from '../migrations';

export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  name: string;
  url: string;
  db: Database;
  drop(): Promise<void>;
}

function serverUrl(): URL {
  const url = new URL(TEST_SERVER_URL);
  url.pathname = '/';
  return url;
}

export interface CreateTestDatabaseOptions {
  poolSize?: number;
  /** Leave the database empty instead of applying db/migrations (for migration tests). */
  empty?: boolean;
}

/**
 * Creates a uniquely named database on the test server with every migration applied. Call
 * `drop()` in afterAll: it closes the pool and drops the database whatever the tests did.
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = `b2b_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const server = connect({ connectionString: serverUrl().toString(), poolSize: 1, onError: () => undefined });
  await server.query(
    sql`CREATE DATABASE ${sql.ident(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const db = connectDatabase(url.toString(), { poolSize: options.poolSize });
  try {
    if (!options.empty) await migrateDatabase(db);
  } catch (error) {
    await db.dispose();
    await server.query(sql`DROP DATABASE IF EXISTS ${sql.ident(name)}`);
    await server.dispose();
    throw error;
  }
  return {
    name,
    url: url.toString(),
    db,
    async drop() {
      await db.dispose().catch(() => undefined);
      try {
        await server.query(sql`DROP DATABASE IF EXISTS ${sql.ident(name)}`);
      } finally {
        await server.dispose();
      }
    },
  };
}
