// Applies db/seed.sql to DATABASE_URL; rows that already exist are left as they are.
import './lib/load-database-env';
import { applySeed, connectDatabase, DEFAULT_DATABASE_URL, isSeedEnvironment } from '@b2b/service-kit';

if (!isSeedEnvironment(process.env.NODE_ENV)) {
  console.error(
    `npm run seed: refused with NODE_ENV=${process.env.NODE_ENV}. The seed holds the development ` +
      'operator, whose password is published; create operators with npm run operators -- create <username>.',
  );
  process.exit(2);
}

const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
const db = connectDatabase(url, { poolSize: 1 });
try {
  await applySeed(db);
  console.log(`seed data applied to ${new URL(url).pathname.slice(1)}`);
} finally {
  await db.dispose();
}
