// `npm start`'s first look at the database, before the build: says which database it uses and,
// when it cannot be used, why and what to do (scripts/lib/database-diagnosis.ts), exit code 1.
// Creates the database when it is missing and the user may. Nothing listening on this machine's
// Compose MySQL port with a Docker engine present is left to scripts/prepare-database.ts, which
// starts the Compose MySQL.
import './load-database-env';
import { DEFAULT_DATABASE_URL } from '@b2b/service-kit';
import {
  databaseTarget,
  databaseUrlOrigin,
  describeDatabase,
  diagnoseDatabase,
  formatDatabaseProblem,
} from './database-diagnosis';
import { hasDockerEngine } from './docker';

const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
console.log(`[setup] database ${describeDatabase(url)} (${databaseUrlOrigin(process.env.DATABASE_URL)})`);

/** Whether the Compose MySQL (published on MYSQL_PORT, default 3306, of this machine) would be the answer. */
function composeMysqlWouldAnswer(): boolean {
  const { host, port } = databaseTarget(url);
  const composePort = Number(process.env.MYSQL_PORT || 3306);
  return ['127.0.0.1', 'localhost', '::1'].includes(host) && port === composePort && hasDockerEngine();
}

const problem = await diagnoseDatabase(url, { mayCreate: true, needsSchema: false });
if (problem?.kind === 'nothing-listening' && composeMysqlWouldAnswer()) {
  console.log(
    '[setup] no server answers there yet; a Docker engine is here: the Compose MySQL will be started',
  );
} else if (problem) {
  console.error(`[setup] Cannot use the database. ${formatDatabaseProblem(problem)}`);
  process.exit(1);
}
