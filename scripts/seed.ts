// Applies db/seed.sql to DATABASE_URL; rows that already exist are left as they are. Says
// which database, and what the seed inserted, table by table, and what was already there.
import './lib/load-database-env';
import { readFileSync } from 'node:fs';
import { applySeed, connectDatabase, isSeedEnvironment, sql, type Database } from '@b2b/service-kit';
import { openScriptDatabase } from './lib/database-script';

if (!isSeedEnvironment(process.env.NODE_ENV)) {
  console.error(
    `npm run seed: refused with NODE_ENV=${process.env.NODE_ENV}. The seed holds the development ` +
      'operator, whose password is published; create operators with npm run operators -- create <username>.',
  );
  process.exit(2);
}

const url = await openScriptDatabase({
  script: 'npm run seed',
  output: process.stdout,
  mayCreate: false,
  needsSchema: true,
});

// The tables db/seed.sql writes, in its order.
const seedTables = [
  ...new Set(
    [
      ...readFileSync(new URL('../db/seed.sql', import.meta.url), 'utf8').matchAll(/^INSERT INTO (\w+)/gm),
    ].map((match) => match[1]!),
  ),
];

/** Rows per seeded table. The seed never overwrites a row, so the growth is what it inserted. */
async function countRows(db: Database): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of seedTables) {
    const [row] = await db.query(sql`SELECT COUNT(*) AS n FROM ${sql.ident(table)}`);
    counts.set(table, Number(row.n));
  }
  return counts;
}

const db = connectDatabase(url, { poolSize: 1 });
try {
  const before = await countRows(db);
  await applySeed(db);
  const after = await countRows(db);
  const inserted = seedTables
    .map((table) => ({ table, rows: after.get(table)! - before.get(table)! }))
    .filter(({ rows }) => rows > 0);
  const untouched = seedTables.filter((table) => !inserted.some((entry) => entry.table === table));
  const total = inserted.reduce((sum, { rows }) => sum + rows, 0);
  if (total === 0) {
    console.log(
      `npm run seed: nothing inserted; every seed row's id was already taken in ${seedTables.join(', ')} ` +
        '(existing rows are left as they are)',
    );
  } else {
    console.log(
      `npm run seed: inserted ${total} row(s): ${inserted.map(({ table, rows }) => `${table} ${rows}`).join(', ')}` +
        (untouched.length > 0
          ? `; already there, left as they are: the seed rows of ${untouched.join(', ')}`
          : ''),
    );
  }
} finally {
  await db.dispose();
}
