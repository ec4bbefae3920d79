// Creates the database named by DATABASE_URL if needed and applies db/schema.sql (idempotent).
import { applySchema, connectDatabase, DEFAULT_DATABASE_URL, ensureDatabaseExists } from '@b2b/service-kit';

const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
await ensureDatabaseExists(url);
const db = connectDatabase(url, { poolSize: 1 });
try {
  await applySchema(db);
  console.log(`schema applied to ${new URL(url).pathname.slice(1)}`);
} finally {
  await db.dispose();
}
