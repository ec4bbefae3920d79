// Creates the database named by DATABASE_URL if needed and applies the pending migrations
// of db/migrations, printing their names.
import './lib/load-database-env';
import {
  connectDatabase,
  DEFAULT_DATABASE_URL,
  ensureDatabaseExists,
  migrateDatabase,
} from '@b2b/service-kit';

const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
const name = new URL(url).pathname.slice(1);
await ensureDatabaseExists(url);
const db = connectDatabase(url, { poolSize: 1 });
try {
  const applied = await migrateDatabase(db);
  if (applied.length === 0) {
    console.log(`${name} is up to date: no pending migrations`);
  } else {
    console.log(`applied ${applied.length} migration(s) to ${name}:`);
    for (const migration of applied) console.log(`  ${migration}`);
  }
} finally {
  await db.dispose();
}
