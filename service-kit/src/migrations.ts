import path from 'node:path';
import { fileURLToPath } from 'node:url';
import connect, { sql } from '@databases/mysql';
import type { Database } from './database';

const DB_DIRECTORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../db');
const SCHEMA_FILE = path.join(DB_DIRECTORY, 'schema.sql');
const SEED_FILE = path.join(DB_DIRECTORY, 'seed.sql');

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

/** Applies db/schema.sql; every statement in it is idempotent. */
export async function applySchema(db: Database): Promise<void> {
  await db.query(sql.file(SCHEMA_FILE));
}

/** Applies db/seed.sql; rows that already exist are left alone. */
export async function applySeed(db: Database): Promise<void> {
  await db.query(sql.file(SEED_FILE));
}
