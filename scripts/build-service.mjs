// Bundles one deployable's entry point with esbuild: our TypeScript (the service and
// service-kit, contracts included as JSON) goes into one ESM file; npm packages stay
// external and load from node_modules, so production images install only dependencies.
// Usage: node ../scripts/build-service.mjs src/server.ts dist/server.js (from the workspace)
import { build } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: build-service.mjs <entry.ts> <outfile.js>');
  process.exit(2);
}

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-npm-packages',
      setup(builder) {
        // Bare imports are npm packages, except our own workspace package (TypeScript source).
        builder.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@b2b/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
console.log(`built ${outfile}`);
