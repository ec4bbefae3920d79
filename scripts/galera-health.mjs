#!/usr/bin/env node
/**
 * galera-health: a tiny HTTP agent telling HAProxy (`option httpchk`) whether one MariaDB
 * Galera node can serve, in the spirit of Percona's clustercheck. Every request (any method,
 * any path) checks the node afresh:
 *
 *   200 synced                      wsrep_ready=ON, wsrep_local_state=4 (Synced), not read_only
 *   503 <reason>                    anything else: unreachable, not a Galera node, non-Primary
 *                                   (quorum lost), joining / donor / desynced, read_only
 *
 * Each check is bounded (connect + query within GALERA_HEALTH_TIMEOUT_MS, 1000 by default):
 * a frozen or unreachable node answers 503 in about a second, never hangs. Requests that
 * arrive while a check runs share its answer, so a burst of checks costs one connection.
 *
 * Usage (one agent next to each node; HAProxy: `server n1 db1:3306 check port 9200`):
 *
 *   GALERA_HEALTH_DATABASE_URL=mysql://health:secret@127.0.0.1:3306 node scripts/galera-health.mjs
 *   node scripts/galera-health.mjs --database-url mysql://root@127.0.0.1:3306 --port 9200 --host 0.0.0.0
 *
 *   --database-url / GALERA_HEALTH_DATABASE_URL   the node (a user with no privilege beyond USAGE suffices)
 *   --port / GALERA_HEALTH_PORT                   9200 by default (clustercheck's)
 *   --host / GALERA_HEALTH_HOST                   0.0.0.0 by default: HAProxy checks it from another host
 *   --timeout-ms / GALERA_HEALTH_TIMEOUT_MS       1000 by default
 *   --available-when-donor / GALERA_HEALTH_AVAILABLE_WHEN_DONOR=1
 *                                                 also 200 while the node is a donor (wsrep_local_state=2);
 *                                                 off by default: an rsync donor blocks writes while it copies
 *
 * Dependency-free but for mysql2 (a dependency of @databases/mysql, so present wherever the
 * APIs run). service-kit/src/testing/galera-cluster.ts starts one per node for the cluster
 * tests; deploy/haproxy/haproxy.cfg shows the production configuration.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';

export const SYNCED = 4;
const STATE_NAMES = { 1: 'joining', 2: 'donor/desynced', 3: 'joined', 4: 'synced' };

/**
 * Checks one node: `{ ok: true, reason: 'synced' }` or `{ ok: false, reason }`. Never rejects
 * and settles within about `timeoutMs` (the connection is destroyed when it runs out).
 */
export async function checkGaleraNode(databaseUrl, { timeoutMs = 1000, availableWhenDonor = false } = {}) {
  let connection;
  let timer;
  const check = async () => {
    connection = await mysql.createConnection({ uri: databaseUrl, connectTimeout: timeoutMs });
    const [statusRows] = await connection.query({
      sql: "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state', 'wsrep_local_state_comment', 'wsrep_cluster_status')",
      timeout: timeoutMs,
    });
    const [[variables]] = await connection.query({
      sql: 'SELECT @@global.read_only AS readOnly',
      timeout: timeoutMs,
    });
    const status = Object.fromEntries(statusRows.map((row) => [row.Variable_name.toLowerCase(), row.Value]));
    if (status.wsrep_local_state === undefined)
      return { ok: false, reason: 'not a Galera node (wsrep is off)' };
    const state = Number(status.wsrep_local_state);
    const stateName = STATE_NAMES[state] ?? status.wsrep_local_state_comment ?? String(state);
    if (status.wsrep_ready !== 'ON') {
      return {
        ok: false,
        reason: `not ready (wsrep_ready=${status.wsrep_ready}, cluster ${status.wsrep_cluster_status ?? 'unknown'}, ${stateName})`,
      };
    }
    if (state !== SYNCED && !(availableWhenDonor && state === 2)) {
      return { ok: false, reason: `not synced (wsrep_local_state=${state}, ${stateName})` };
    }
    if (Number(variables.readOnly) === 1) return { ok: false, reason: 'read only' };
    return { ok: true, reason: state === SYNCED ? 'synced' : 'donor' };
  };
  const deadline = new Promise((resolve) => {
    // Connect and query share the bound; past it the answer is 503 whatever is still pending.
    timer = setTimeout(
      () => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }),
      timeoutMs + 100,
    );
  });
  try {
    return await Promise.race([
      check().catch((error) => ({ ok: false, reason: `unreachable (${error.code ?? error.message})` })),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
    // destroy(), not end(): a node that stopped answering must not keep the agent waiting.
    connection?.destroy();
  }
}

/**
 * The agent: an HTTP server answering every request with the node's check. Resolves with
 * the listening server; `server.close()` stops it.
 */
export function startGaleraHealthAgent({
  databaseUrl,
  port = 9200,
  host = '0.0.0.0',
  timeoutMs = 1000,
  availableWhenDonor = false,
}) {
  if (!databaseUrl)
    throw new Error('galera-health needs the node: --database-url or GALERA_HEALTH_DATABASE_URL');
  let running;
  const checkOnce = () => {
    running ??= checkGaleraNode(databaseUrl, { timeoutMs, availableWhenDonor }).finally(() => {
      running = undefined;
    });
    return running;
  };
  const server = createServer(async (request, response) => {
    const { ok, reason } = await checkOnce();
    const body = `${reason}\n`;
    response.writeHead(ok ? 200 : 503, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      connection: 'close',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  // HAProxy closes its check connections itself; never keep a socket waiting.
  server.keepAliveTimeout = 1000;
  server.requestTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'available-when-donor': { type: 'boolean' },
    },
  });
  const env = process.env;
  const server = await startGaleraHealthAgent({
    databaseUrl: values['database-url'] ?? env.GALERA_HEALTH_DATABASE_URL,
    port: Number(values.port ?? env.GALERA_HEALTH_PORT ?? 9200),
    host: values.host ?? env.GALERA_HEALTH_HOST ?? '0.0.0.0',
    timeoutMs: Number(values['timeout-ms'] ?? env.GALERA_HEALTH_TIMEOUT_MS ?? 1000),
    availableWhenDonor:
      values['available-when-donor'] ??
      ['1', 'true', 'yes'].includes(env.GALERA_HEALTH_AVAILABLE_WHEN_DONOR ?? ''),
  });
  const address = server.address();
  console.log(`galera-health listening on ${address.address}:${address.port}`);
  const shutdown = () => {
    server.close(() => process.exit(0));
    // A check still waiting on its node gives up within the timeout; do not wait longer.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
