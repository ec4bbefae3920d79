// The database's own limit for the order write: the statements the Orders API sends for
// POST /orders (orders-api/src/orders/orders.ts placeOrder, four statements in one
// transaction whatever the number of lines), as a plain implementation sends them (one
// round trip each, BEGIN and COMMIT too: bench/reference/order-write.ts), sent straight over mysql2
// by `connections` loops, each on its own connection, for `seconds`. No HTTP, no
// framework, no customer check. Run as its own process:
//   node --import tsx bench/db-limit.ts <spec.json>
// Prints one JSON RunResult line on stdout, like bench/load.ts.
import { readFileSync } from 'node:fs';
import { createConnection, type Connection } from 'mysql2/promise';
import { cpuDelta, machineCpuMicros, snapshotCpu } from './lib/proc';
import { writeOrder } from './reference/order-write';
import { LatencyRecorder, randomDistinct, randomItem } from './lib/stats';
import type { DbLimitSpec, RunResult } from './lib/types';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as DbLimitSpec;

async function connectOne(): Promise<Connection> {
  const connection = await createConnection({
    uri: spec.databaseUrl,
    supportBigNumbers: true,
    bigNumberStrings: true,
    timezone: 'Z',
  });
  await connection.query("SET time_zone = '+00:00'");
  return connection;
}

/** One order, statement for statement what the Orders API sends (bench/reference/order-write.ts). */
async function placeOrder(connection: Connection): Promise<string> {
  const customerId = randomItem(spec.customerIds);
  const customer = { id: customerId, name: 'Bench customer', email: 'bench@example.com', phone: null };
  const lines = randomDistinct(spec.productIds, spec.lines).map((id) => ({ product_id: id, qty: 1 }));
  await connection.query('BEGIN');
  try {
    const { body } = await writeOrder(connection, customer, lines);
    await connection.query('COMMIT');
    return JSON.stringify(body);
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

const connections = await Promise.all(Array.from({ length: spec.connections }, connectOne));
const latencies = new LatencyRecorder();
const firstErrors: string[] = [];
let committed = 0;
let failed = 0;
const pids = { ...spec.pids, loadgen: process.pid };

const cpuBefore = snapshotCpu(pids);
const machineBefore = machineCpuMicros();
const startedAt = performance.now();
const deadline = startedAt + spec.seconds * 1000;
await Promise.all(
  connections.map(async (connection) => {
    while (performance.now() < deadline) {
      const sentAt = performance.now();
      try {
        await placeOrder(connection);
        committed++;
        latencies.record(performance.now() - sentAt);
      } catch (error) {
        failed++;
        if (firstErrors.length < 5) firstErrors.push((error as Error).message);
      }
    }
  }),
);
const durationSeconds = (performance.now() - startedAt) / 1000;
const cpuMicros = cpuDelta(cpuBefore, snapshotCpu(pids));
const machineAfter = machineCpuMicros();
await Promise.all(connections.map((connection) => connection.end()));

const machineBusy = machineAfter.busy - machineBefore.busy;
const machineTotal = machineAfter.total - machineBefore.total || 1;
const accounted = Object.values(cpuMicros).reduce((total, micros) => total + micros, 0);
const result: RunResult = {
  requests: committed,
  durationSeconds,
  reqPerSec: committed / durationSeconds,
  latencyMs: latencies.summary(),
  statuses: { committed, failed },
  non2xx: 0,
  errors: failed,
  timeouts: 0,
  cpuMicros,
  cpuMicrosPerRequest: Object.fromEntries(
    Object.entries(cpuMicros).map(([name, micros]) => [name, committed > 0 ? micros / committed : NaN]),
  ),
  machineBusyPercent: (100 * machineBusy) / machineTotal,
  otherBusyPercent: Math.max(0, (100 * (machineBusy - accounted)) / machineTotal),
  firstErrors,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
