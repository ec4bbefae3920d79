// `npm run operators -- <command> [<username>]`: create, disable, enable, change the password
// of and list operators in DATABASE_URL (`npm run operators -- --help`). The program lives
// with the Customers API, whose image bundles it too (customers-api/src/operators-cli.ts).
// Before a command runs, the database it works on is named on stderr (stdout carries the
// command's results, e.g. list's table) and checked, so a wrong one is said before a password
// is asked for.
import './lib/load-database-env';
import { openScriptDatabase } from './lib/database-script';

const COMMANDS_ON_THE_DATABASE = new Set(['create', 'set-password', 'disable', 'enable', 'list']);
if (COMMANDS_ON_THE_DATABASE.has(process.argv[2] ?? '')) {
  await openScriptDatabase({
    script: 'npm run operators',
    output: process.stderr,
    mayCreate: false,
    needsSchema: true,
  });
}
await import('../customers-api/src/operators-cli');
