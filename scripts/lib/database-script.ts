// The start of every script that works on the database (`npm run migrate`, `seed`,
// `operators`): its first line names the database (host:port/name and user, never the
// password) and where DATABASE_URL came from; a database it cannot use stops it with the
// reason and the next step (database-diagnosis.ts) instead of a driver stack trace.
import { DEFAULT_DATABASE_URL } from '@b2b/service-kit';
import {
  databaseUrlOrigin,
  describeDatabase,
  diagnoseDatabase,
  formatDatabaseProblem,
  type DiagnoseOptions,
} from './database-diagnosis';

export interface ScriptDatabaseOptions extends Pick<DiagnoseOptions, 'mayCreate' | 'needsSchema'> {
  /** The script's name for its messages, e.g. `npm run seed`. */
  script: string;
  /** Where the line about the database goes: stdout, or stderr when stdout carries results. */
  output: NodeJS.WritableStream;
}

/**
 * Returns DATABASE_URL as the scripts resolve it (scripts/lib/load-database-env.ts must have
 * run), after printing which database that is; exits 1 with the diagnosis when it cannot be
 * used as `options` asks.
 */
export async function openScriptDatabase(options: ScriptDatabaseOptions): Promise<string> {
  const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  options.output.write(
    `${options.script}: database ${describeDatabase(url)} (${databaseUrlOrigin(process.env.DATABASE_URL)})\n`,
  );
  const problem = await diagnoseDatabase(url, options);
  if (problem) {
    console.error(`${options.script}: cannot use the database. ${formatDatabaseProblem(problem)}`);
    process.exit(1);
  }
  return url;
}
