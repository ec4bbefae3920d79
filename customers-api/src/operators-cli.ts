// The operators CLI as a program: `npm run operators -- …` runs it from source (through
// scripts/operators.ts); the image runs the bundle, `node customers-api/dist/operators-cli.js …`.
import { runOperatorsCli } from './auth/operators-cli';

process.exitCode = await runOperatorsCli(process.argv.slice(2), process.env, process);
