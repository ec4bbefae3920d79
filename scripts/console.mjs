// `npm run console` / `npm run console:mock`: builds the operator console (operator-console/)
// and serves it on http://127.0.0.1:5173 (CONSOLE_PORT), forwarding /api/customers,
// /api/orders and /api/orchestrator to the real system of `npm start` or, with --mock, to
// the Prism mocks of `npm run mock` (targets: operator-console/vite.config.ts, which finds
// the system's ports as npm start does: the environment, then each part's .env). The same
// build either way. `--dev` serves the sources with hot reload instead of the build.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer, preview } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../operator-console');
const isMock = process.argv.includes('--mock');
const isDev = process.argv.includes('--dev');
// Read by vite.config.ts when it is loaded below.
process.env.CONSOLE_BACKEND = isMock ? 'mock' : 'real';

let server;
if (isDev) {
  server = await createServer({ root });
  await server.listen();
} else {
  await build({ root, logLevel: 'warn' });
  server = await preview({ root });
}
const url = server.resolvedUrls.local[0];

/**
 * Asks each API through the console's own proxy: any answer but the proxy's own 502 means the
 * API is there. Otherwise the proxy's problem says which one is missing and how to start it.
 */
async function reportUnreachableApis() {
  const missing = [];
  for (const name of ['customers', 'orders', 'orchestrator']) {
    const answer = await fetch(new URL(`api/${name}/health`, url)).catch(() => undefined);
    const problem = answer?.status === 502 ? await answer.json().catch(() => undefined) : undefined;
    if (problem?.code === 'CONSOLE_PROXY_ERROR') missing.push(problem.detail);
  }
  return missing;
}

console.log(`
\x1b[32mOperator console\x1b[0m (${isDev ? 'sources, hot reload' : 'production build'}) against ${isMock ? 'the Prism mocks' : 'the real system'}:

  ${url}
${isMock ? '\n  Any username and password log in: the mocks accept every token and answer with the contracts\u2019 examples.\n' : '\n  Development operator: operator / operator-dev-password\n'}`);
const missing = await reportUnreachableApis();
if (missing.length > 0) {
  console.log(
    `\x1b[33mNot reachable yet\x1b[0m (the console shows this as an error until it is):\n${missing.map((line) => `  - ${line}`).join('\n')}\n`,
  );
}
console.log('Ctrl-C stops the console.');
