// Bundles the Lambda into one self-contained ESM file, dist/handler.mjs: our TypeScript,
// service-kit, the contract JSON and the npm packages it uses, so the deployed artifact
// needs no node_modules (unlike scripts/build-service.mjs, whose images install them).
// `.mjs` because package.json does not ship with dist/ and Lambda would otherwise load a
// `.js` file as CommonJS. `--watch` rebuilds on every change.
import { context } from 'esbuild';

const builder = await context({
  entryPoints: ['src/handler.ts'],
  outfile: 'dist/handler.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  // Bundled CommonJS packages (ajv, pino) call require() for Node built-ins, which an ES
  // module does not have: give them one.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});

if (process.argv.includes('--watch')) {
  await builder.watch();
  console.log('watching src/ for changes: dist/handler.mjs is rebuilt on each');
} else {
  await builder.rebuild();
  await builder.dispose();
  console.log('built dist/handler.mjs');
}
