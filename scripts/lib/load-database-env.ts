// Imported first by the scripts that work on the database (`npm run migrate`, `seed`,
// `operators`), for its side effect: DATABASE_URL comes from the environment, else
// customers-api/.env, else orders-api/.env, else the default — the database `npm start`
// prepares and the APIs use (scripts/lib/local-settings.mjs resolves it the same way).
import { loadEnvFiles } from '@b2b/service-kit';

loadEnvFiles(
  new URL('../../customers-api/.env', import.meta.url),
  new URL('../../orders-api/.env', import.meta.url),
);
