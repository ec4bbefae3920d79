// `npm run mock` (`npm run mock -- --dynamic`): Prism mocks of the three contracts, so a
// front end or the orchestrator can be built without the real APIs. Static examples by
// default; `--dynamic` makes Prism generate data from the schemas instead (`prism -d`).
// Output is prefixed by mock; Ctrl-C stops all of them.
import { createProcessGroup } from './lib/process-group.mjs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isDynamic = process.argv.includes('--dynamic');
const host = process.env.MOCK_HOST ?? '127.0.0.1';

const mocks = [
  {
    name: 'customers',
    contract: 'contracts/customers.yaml',
    port: process.env.MOCK_CUSTOMERS_PORT ?? '4010',
    probePath: '/health',
  },
  {
    name: 'orders',
    contract: 'contracts/orders.yaml',
    port: process.env.MOCK_ORDERS_PORT ?? '4011',
    probePath: '/health',
  },
  {
    name: 'orchestrator',
    contract: 'contracts/orchestrator.yaml',
    port: process.env.MOCK_ORCHESTRATOR_PORT ?? '4012',
    probePath: '/orchestrator/create-and-confirm-order',
  },
];
const group = createProcessGroup({ label: 'every mock', gracePeriodMs: 5_000 });

// node_modules/.bin/prism directly, never npx: killing npx would orphan the Prism server.
for (const mock of mocks) {
  const args = ['mock', '-h', host, '-p', mock.port, ...(isDynamic ? ['-d'] : []), mock.contract];
  group.run(mock.name, path.join(root, 'node_modules/.bin/prism'), args, { cwd: root });
}

/**
 * Whether the mock answers: a CORS preflight for a path of its contract, which Prism answers
 * (204) before routing and without logging. A plain request to a path the contract lacks
 * would print "✖ error NO_PATH_MATCHED_ERROR" in the mock's log, which reads as a failure.
 */
async function isServing({ port, probePath }) {
  try {
    const response = await fetch(`http://${host}:${port}${probePath}`, {
      method: 'OPTIONS',
      headers: { Origin: `http://${host}`, 'Access-Control-Request-Method': 'GET' },
      signal: AbortSignal.timeout(1_000),
    });
    return response.status < 500;
  } catch {
    return false;
  }
}

const deadline = Date.now() + 30_000;
while (!group.isStopping() && Date.now() < deadline) {
  const ready = await Promise.all(mocks.map(isServing));
  if (ready.every(Boolean)) break;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
if (!group.isStopping()) {
  console.log(`
\x1b[32mPrism mocks are ready\x1b[0m (${isDynamic ? 'dynamic: data generated from the schemas' : 'static: the contracts\u2019 examples'})

  Customers API   http://${host}:${mocks[0].port}      e.g. curl http://${host}:${mocks[0].port}/customers/1 -H 'Authorization: Bearer x'
  Orders API      http://${host}:${mocks[1].port}      e.g. curl http://${host}:${mocks[1].port}/products -H 'Authorization: Bearer x'
  Orchestrator    http://${host}:${mocks[2].port}/orchestrator/create-and-confirm-order

  For front-end teams: the mocks answer from the contracts alone and hold no state \u2014 a
  customer you POST is not there on the next GET, and ids in answers are the examples'.
  Requests are still validated against the contract, but any bearer token is accepted. An
  invalid request gets the operation's documented 422 where it has one (POST /orders, the
  orchestrator), else its 400, with that answer's first example as the body; the header
  sl-violations says what was wrong. A missing Authorization header is a 401. To see another
  documented answer, send \`Prefer: code=404\` (any status the operation documents; its first
  example) or \`Prefer: code=409, example=IDEMPOTENCY_KEY_REUSED\` (a named example needs its
  code); \`Prefer: dynamic=true\` generates data for a single request.
  Ports: MOCK_CUSTOMERS_PORT, MOCK_ORDERS_PORT, MOCK_ORCHESTRATOR_PORT. Ctrl-C stops every mock.
`);
}
