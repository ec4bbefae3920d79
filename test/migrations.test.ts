import { copyFile, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDatabase, migrateDatabase, sql, type Database } from '@b2b/service-kit';
import { createTestDatabase, type TestDatabase } from '@b2b/service-kit/testing';

const DB_DIRECTORY = path.resolve(import.meta.dirname, '../db');
const MIGRATIONS_DIRECTORY = path.join(DB_DIRECTORY, 'migrations');
const SCHEMA_FILE = path.join(DB_DIRECTORY, 'schema.sql');

const databases: TestDatabase[] = [];
const temporaryDirectories: string[] = [];

afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()));
  await Promise.all(
    temporaryDirectories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

async function createEmptyDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase({ empty: true });
  databases.push(database);
  return database;
}

/** A copy of db/migrations that a test may add files to. */
async function copyMigrationsDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'b2b-migrations-'));
  temporaryDirectories.push(directory);
  for (const file of await readdir(MIGRATIONS_DIRECTORY)) {
    await copyFile(path.join(MIGRATIONS_DIRECTORY, file), path.join(directory, file));
  }
  return directory;
}

async function migrationFileNames(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIRECTORY))
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.replace(/\.sql$/, ''))
    .sort();
}

async function recordedMigrations(db: Database): Promise<string[]> {
  const rows = await db.query(sql`SELECT name FROM schema_migrations ORDER BY name`);
  return rows.map((row: { name: string }) => row.name);
}

/**
 * Everything information_schema says about a database's structure, one readable line per
 * table, column, index, foreign key and CHECK constraint, so a difference shows in the diff.
 * Portable between MySQL 8 and MariaDB (MySQL's CHECK_CONSTRAINTS has no TABLE_NAME).
 */
async function describeSchema(db: Database, schema: string) {
  const tables = await db.query(sql`
    SELECT TABLE_NAME AS tableName, TABLE_TYPE AS type, ENGINE AS engine, TABLE_COLLATION AS collation
    FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} ORDER BY TABLE_NAME`);
  const columns = await db.query(sql`
    SELECT TABLE_NAME AS tableName, ORDINAL_POSITION AS position, COLUMN_NAME AS columnName,
           COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS defaultValue, EXTRA AS extra,
           GENERATION_EXPRESSION AS generationExpression, CHARACTER_SET_NAME AS characterSet,
           COLLATION_NAME AS collation
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${schema} ORDER BY TABLE_NAME, ORDINAL_POSITION`);
  const indexColumns = await db.query(sql`
    SELECT TABLE_NAME AS tableName, INDEX_NAME AS indexName, NON_UNIQUE AS nonUnique,
           INDEX_TYPE AS indexType, COLUMN_NAME AS columnName, SUB_PART AS prefixLength
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ${schema}
    ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`);
  const foreignKeyColumns = await db.query(sql`
    SELECT k.TABLE_NAME AS tableName, k.CONSTRAINT_NAME AS constraintName, k.COLUMN_NAME AS columnName,
           k.REFERENCED_TABLE_NAME AS referencedTable, k.REFERENCED_COLUMN_NAME AS referencedColumn,
           r.UPDATE_RULE AS onUpdate, r.DELETE_RULE AS onDelete
    FROM information_schema.KEY_COLUMN_USAGE k
    JOIN information_schema.REFERENTIAL_CONSTRAINTS r
      ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
         AND r.TABLE_NAME = k.TABLE_NAME
    WHERE k.TABLE_SCHEMA = ${schema}
    ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`);
  const checks = await db.query(sql`
    SELECT t.TABLE_NAME AS tableName, c.CONSTRAINT_NAME AS constraintName, c.CHECK_CLAUSE AS clause
    FROM information_schema.TABLE_CONSTRAINTS t
    JOIN information_schema.CHECK_CONSTRAINTS c
      ON c.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA AND c.CONSTRAINT_NAME = t.CONSTRAINT_NAME
    WHERE t.TABLE_SCHEMA = ${schema} AND t.CONSTRAINT_TYPE = 'CHECK'
    ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME`);

  const grouped = (rows: any[], key: (row: any) => string, describe: (rows: any[]) => string) => {
    const groups = new Map<string, any[]>();
    for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
    return [...groups.values()].map(describe);
  };
  return {
    tables: tables.map((t) => `${t.tableName} ${t.type} ${t.engine} ${t.collation}`),
    columns: columns.map(
      (c) =>
        `${c.tableName}.${c.columnName} #${c.position} ${c.type} nullable=${c.nullable}` +
        ` default=${c.defaultValue} extra=${c.extra} generated=${c.generationExpression}` +
        ` charset=${c.characterSet} collation=${c.collation}`,
    ),
    indexes: grouped(
      indexColumns,
      (i) => `${i.tableName}.${i.indexName}`,
      ([first, ...rest]) =>
        `${first.tableName}.${first.indexName} ${first.nonUnique === '0' || first.nonUnique === 0 ? 'UNIQUE' : 'NON-UNIQUE'}` +
        ` ${first.indexType} (${[first, ...rest].map((i) => `${i.columnName}${i.prefixLength ? `(${i.prefixLength})` : ''}`).join(', ')})`,
    ),
    foreignKeys: grouped(
      foreignKeyColumns,
      (f) => `${f.tableName}.${f.constraintName}`,
      (rows) =>
        `${rows[0].tableName}.${rows[0].constraintName} (${rows.map((f) => f.columnName).join(', ')})` +
        ` REFERENCES ${rows[0].referencedTable} (${rows.map((f) => f.referencedColumn).join(', ')})` +
        ` ON UPDATE ${rows[0].onUpdate} ON DELETE ${rows[0].onDelete}`,
    ),
    checks: checks.map((c) => `${c.tableName}.${c.constraintName} CHECK ${c.clause}`),
  };
}

describe('database migrations', () => {
  it('when the migrations build one database and db/schema.sql another, then both have the same schema and record the same migrations', async () => {
    const migrated = await createEmptyDatabase();
    const fromSchemaFile = await createEmptyDatabase();

    expect(await migrateDatabase(migrated.db)).toEqual(await migrationFileNames());
    await fromSchemaFile.db.query(sql.file(SCHEMA_FILE));

    const expected = await describeSchema(migrated.db, migrated.name);
    expect(await describeSchema(fromSchemaFile.db, fromSchemaFile.name)).toEqual(expected);
    expect(await recordedMigrations(fromSchemaFile.db)).toEqual(await recordedMigrations(migrated.db));
    // The comparison covers every kind of object, not empty lists.
    expect(expected.tables.map((table) => table.split(' ')[0])).toContain('schema_migrations');
    for (const kind of ['columns', 'indexes', 'foreignKeys', 'checks'] as const) {
      expect(expected[kind].length, kind).toBeGreaterThan(0);
    }
    expect(expected.columns.some((column) => column.includes('STORED GENERATED'))).toBe(true);
  });

  it('when a database was initialised from db/schema.sql, then the migrator finds nothing pending', async () => {
    const database = await createEmptyDatabase();
    await database.db.query(sql.file(SCHEMA_FILE));

    expect(await migrateDatabase(database.db)).toEqual([]);
  });

  it('when the migrator runs a second time, then it applies nothing', async () => {
    const database = await createEmptyDatabase();

    expect(await migrateDatabase(database.db)).toEqual(await migrationFileNames());
    expect(await migrateDatabase(database.db)).toEqual([]);
    expect(await recordedMigrations(database.db)).toEqual(await migrationFileNames());
  });

  it('when a migration is added after the first run, then the next run applies it once and records it', async () => {
    const database = await createEmptyDatabase();
    const directory = await copyMigrationsDirectory();
    await migrateDatabase(database.db, { directory });

    await writeFile(
      path.join(directory, '9001-add-products-discontinued-at.sql'),
      'ALTER TABLE products ADD COLUMN discontinued_at DATETIME(3) NULL;\n',
    );
    expect(await migrateDatabase(database.db, { directory })).toEqual(['9001-add-products-discontinued-at']);
    expect(await migrateDatabase(database.db, { directory })).toEqual([]);

    expect(await recordedMigrations(database.db)).toEqual([
      ...(await migrationFileNames()),
      '9001-add-products-discontinued-at',
    ]);
    const columns = await database.db.query(sql`
      SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = ${database.name} AND TABLE_NAME = 'products' AND COLUMN_NAME = 'discontinued_at'`);
    expect(columns).toHaveLength(1);
  });

  it('when two migrators start at once on an empty database, then each migration is applied exactly once', async () => {
    const database = await createEmptyDatabase();
    // Two pools, as two replicas starting side by side would have.
    const replicas = [
      connectDatabase(database.url, { poolSize: 1 }),
      connectDatabase(database.url, { poolSize: 1 }),
    ];
    try {
      const results = await Promise.all(replicas.map((replica) => migrateDatabase(replica)));

      expect(results.flat().sort()).toEqual(await migrationFileNames());
      expect(results.some((applied) => applied.length === 0)).toBe(true);
      expect(await recordedMigrations(database.db)).toEqual(await migrationFileNames());
    } finally {
      await Promise.all(replicas.map((replica) => replica.dispose()));
    }
  });

  it('when another migrator holds the lock past the timeout, then the migrator fails and applies nothing', async () => {
    const database = await createEmptyDatabase();
    await migrateDatabase(database.db, {
      directory: await mkdtemp(path.join(tmpdir(), 'b2b-no-migrations-')),
    });
    await database.db.query(sql`DROP TABLE schema_migrations`);
    await database.db.query(sql`
      INSERT INTO schema_migrations_lock (name, holder, expires_at)
      VALUES ('migrate', 'another-migrator-000000000000000000', NOW(3) + INTERVAL 1 MINUTE)`);

    await expect(migrateDatabase(database.db, { lockTimeoutSeconds: 0 })).rejects.toThrow(
      /held the migration lock/,
    );

    const tables = await database.db.query(
      sql`SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${database.name}`,
    );
    expect(tables).toEqual([{ name: 'schema_migrations_lock' }]);
  });

  it('when the lock holder died (its lease ran out), then the next migrator takes the lock over and migrates', async () => {
    const database = await createEmptyDatabase();
    await migrateDatabase(database.db, {
      directory: await mkdtemp(path.join(tmpdir(), 'b2b-no-migrations-')),
    });
    await database.db.query(sql`
      INSERT INTO schema_migrations_lock (name, holder, expires_at)
      VALUES ('migrate', 'a-migrator-that-died-00000000000000', NOW(3) - INTERVAL 1 SECOND)`);

    expect(await migrateDatabase(database.db, { lockTimeoutSeconds: 0 })).toEqual(await migrationFileNames());
    expect(await database.db.query(sql`SELECT * FROM schema_migrations_lock`)).toEqual([]);
  });

  it('when a database predates migrations (tables but no schema_migrations), then 0001 only records itself', async () => {
    const database = await createEmptyDatabase();
    await database.db.query(sql.file(path.join(MIGRATIONS_DIRECTORY, '0001-initial-schema.sql')));
    await database.db.query(sql`INSERT INTO operators (username, password_hash) VALUES ('kept', 'x')`);

    expect(await migrateDatabase(database.db)).toEqual(await migrationFileNames());
    expect(await database.db.query(sql`SELECT username FROM operators`)).toEqual([{ username: 'kept' }]);
  });

  it('when a migration file is not named NNNN-description.sql, then the migrator refuses before applying anything', async () => {
    const database = await createEmptyDatabase();
    const directory = await copyMigrationsDirectory();
    await writeFile(path.join(directory, 'add_column.sql'), 'SELECT 1;\n');

    await expect(migrateDatabase(database.db, { directory })).rejects.toThrow(/add_column\.sql/);
    const tables = await database.db.query(
      sql`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${database.name}`,
    );
    expect(tables).toEqual([]);
  });

  /**
   * A database migrated up to, not including, migration `number`; `migrateRest` then applies
   * that migration and every later one, so a test can write data in the older shape first.
   */
  async function migratedUntil(number: string) {
    const database = await createEmptyDatabase();
    const directory = await copyMigrationsDirectory();
    const later = (await readdir(directory)).filter((file) => file.localeCompare(number) >= 0);
    const held = await mkdtemp(path.join(tmpdir(), 'b2b-migrations-later-'));
    temporaryDirectories.push(held);
    for (const file of later) await rename(path.join(directory, file), path.join(held, file));
    await migrateDatabase(database.db, { directory });
    const migrateRest = async () => {
      for (const file of later) await rename(path.join(held, file), path.join(directory, file));
      await migrateDatabase(database.db, { directory });
    };
    return { database, migrateRest };
  }

  it('when 0003 adds cancel_source and cancel_reason, then answers stored with idempotency keys before it replay with both fields', async () => {
    const { database, migrateRest } = await migratedUntil('0003');
    const storedOrder = { id: 7, customer_id: 1, status: 'CONFIRMED', total_cents: 100, items: [] };
    await database.db.query(sql`
      INSERT INTO idempotency_keys
        (scope, idempotency_key, target_type, target_id, request_fingerprint, status, response_status, response_body, expires_at)
      VALUES ('confirm_order', 'before-0003', 'order', 7, ${'0'.repeat(64)}, 'COMPLETED', 200,
        ${JSON.stringify(storedOrder)}, NOW(3) + INTERVAL 1 DAY)`);

    await migrateRest();

    const [row] = await database.db.query(
      sql`SELECT response_body FROM idempotency_keys WHERE idempotency_key = 'before-0003'`,
    );
    expect(JSON.parse(String(row.response_body))).toEqual({
      ...storedOrder,
      cancel_source: null,
      cancel_reason: null,
    });
  });

  it('when 0005 and 0006 run, then every order gets its customer as a snapshot, deleted customers included, stored answers carry it, and older keys belong to no caller', async () => {
    const { database, migrateRest } = await migratedUntil('0005');
    const { db } = database;
    await db.query(sql`
      INSERT INTO customers (id, name, email, phone, deleted_at) VALUES
        (1, 'Acme Industrial Supply', 'purchasing@acme-industrial.example', '+1 415 555 0100', NULL),
        (2, 'Globex Logistics', 'orders@globex.example', NULL, NOW(3))`);
    await db.query(sql`
      INSERT INTO orders (id, customer_id, status, total_cents) VALUES (1, 1, 'CREATED', 100), (2, 2, 'CREATED', 100)`);
    const storedOrder = {
      id: 2,
      customer_id: 2,
      status: 'CREATED',
      total_cents: 100,
      items: [],
      cancel_source: null,
      cancel_reason: null,
    };
    await db.query(sql`
      INSERT INTO idempotency_keys
        (scope, idempotency_key, target_type, target_id, request_fingerprint, status, response_status, response_body, expires_at)
      VALUES ('create_order', 'before-0005', 'order', 2, ${'0'.repeat(64)}, 'COMPLETED', 201,
        ${JSON.stringify(storedOrder)}, NOW(3) + INTERVAL 1 DAY)`);

    await migrateRest();

    expect(
      await db.query(sql`SELECT id, customer_name, customer_email, customer_phone FROM orders ORDER BY id`),
    ).toEqual([
      {
        id: '1',
        customer_name: 'Acme Industrial Supply',
        customer_email: 'purchasing@acme-industrial.example',
        customer_phone: '+1 415 555 0100',
      },
      {
        id: '2',
        customer_name: 'Globex Logistics',
        customer_email: 'orders@globex.example',
        customer_phone: null,
      },
    ]);
    const [key] = await db.query(sql`SELECT owner, response_body FROM idempotency_keys`);
    expect(key.owner).toBe('');
    expect(JSON.parse(String(key.response_body))).toEqual({
      ...storedOrder,
      customer: { id: 2, name: 'Globex Logistics', email: 'orders@globex.example', phone: null },
    });
  });
});
