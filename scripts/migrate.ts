// Creates the database named by DATABASE_URL if needed and applies the pending migrations
// of db/migrations, printing their names. Its first line names the database.
import './lib/load-database-env';
import { connectDatabase, migrateDatabase } from '@b2b/service-kit';
import { openScriptDatabase } from './lib/database-script';

const url = await openScriptDatabase({
  script: 'npm run migrate',
  output: process.stdout,
  mayCreate: true,
  needsSchema: false,
});
// openScriptDatabase created the database if it was missing (and said why when it may not).
const name = new URL(url).pathname.slice(1);
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
