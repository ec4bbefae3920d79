// `npm run operators -- <command> [<username>]`: create, disable, enable, change the password
// of and list operators in DATABASE_URL (`npm run operators -- --help`). The program lives
// with the Customers API, whose image bundles it too (customers-api/src/operators-cli.ts).
import './lib/load-database-env';
import '../customers-api/src/operators-cli';
