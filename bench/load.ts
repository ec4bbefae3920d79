// One measurement, in its own process so that the load generator never shares a CPU
// budget or an event loop with the harness or the system under test:
//   node --import tsx bench/load.ts <spec.json>
// Runs autocannon for spec.seconds, reads the CPU time of the given processes from /proc
// right before and right after, and prints one JSON RunResult line on stdout.
import { readFileSync } from 'node:fs';
import autocannon, { type AutocannonRequest } from 'autocannon';
import { cpuDelta, machineCpuMicros, snapshotCpu } from './lib/proc';
import { LatencyRecorder, randomDistinct, randomItem } from './lib/stats';
import type { LoadSpec, RunResult, Workload } from './lib/types';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const json = { ...spec.headers, 'content-type': 'application/json' };

function requestsOf(workload: Workload): AutocannonRequest[] {
  switch (workload.kind) {
    case 'get':
      return workload.paths.map((path) => ({ method: 'GET', path, headers: spec.headers }));
    case 'create-order':
      return [
        {
          method: 'POST',
          path: '/orders',
          headers: json,
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({
              customer_id: randomItem(workload.customerIds),
              items: randomDistinct(workload.productIds, workload.lines).map((id) => ({
                product_id: id,
                qty: 1,
              })),
            }),
          }),
        },
      ];
    case 'create-confirm': {
      let counter = 0;
      return [
        {
          method: 'POST',
          path: '/orders',
          setupRequest: (request, context) => {
            context.key = `${workload.keyPrefix}-${counter++}`;
            return {
              ...request,
              headers: { ...json, 'x-idempotency-key': `${String(context.key)}-c` },
              body: JSON.stringify({
                customer_id: randomItem(workload.customerIds),
                items: [{ product_id: randomItem(workload.productIds), qty: 1 }],
              }),
            };
          },
          onResponse: (status, body, context) => {
            if (status === 201) context.orderId = (JSON.parse(body) as { id: number }).id;
          },
        },
        {
          method: 'POST',
          path: '/orders/0/confirm',
          // No order id (creation failed): start the flow again.
          setupRequest: (request, context) =>
            context.orderId === undefined
              ? null
              : {
                  ...request,
                  path: `/orders/${String(context.orderId)}/confirm`,
                  headers: { ...spec.headers, 'x-idempotency-key': `${String(context.key)}-k` },
                },
        },
      ];
    }
    case 'orchestrate': {
      let counter = 0;
      return [
        {
          method: 'POST',
          path: '/orchestrator/create-and-confirm-order',
          headers: json,
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({
              customer_id: randomItem(workload.customerIds),
              items: [{ product_id: randomItem(workload.productIds), qty: 1 }],
              idempotency_key: `${workload.keyPrefix}-${counter++}`,
            }),
          }),
        },
      ];
    }
  }
}

const latencies = new LatencyRecorder();
const statuses: Record<string, number> = {};
const firstErrors: string[] = [];
const pids = { ...spec.pids, loadgen: process.pid };

const cpuBefore = snapshotCpu(pids);
const machineBefore = machineCpuMicros();
const instance = autocannon(
  {
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    timeout: spec.timeoutSeconds ?? 10,
    requests: requestsOf(spec.workload),
  },
  (error, result) => {
    const cpuAfter = snapshotCpu(pids);
    const machineAfter = machineCpuMicros();
    if (error) {
      console.error(error);
      process.exit(1);
    }
    const requests = Object.values(statuses).reduce((total, count) => total + count, 0);
    const cpuMicros = cpuDelta(cpuBefore, cpuAfter);
    const machineBusy = machineAfter.busy - machineBefore.busy;
    const machineTotal = machineAfter.total - machineBefore.total || 1;
    const accounted = Object.values(cpuMicros).reduce((total, micros) => total + micros, 0);
    const output: RunResult = {
      requests,
      durationSeconds: result.duration,
      reqPerSec: requests / result.duration,
      latencyMs: latencies.summary(),
      statuses,
      non2xx: requests - Object.entries(statuses).reduce((n, [s, c]) => n + (s.startsWith('2') ? c : 0), 0),
      errors: result.errors,
      timeouts: result.timeouts,
      cpuMicros,
      cpuMicrosPerRequest: Object.fromEntries(
        Object.entries(cpuMicros).map(([name, micros]) => [name, requests > 0 ? micros / requests : NaN]),
      ),
      machineBusyPercent: (100 * machineBusy) / machineTotal,
      otherBusyPercent: Math.max(0, (100 * (machineBusy - accounted)) / machineTotal),
      firstErrors,
    };
    process.stdout.write(`${JSON.stringify(output)}\n`);
    process.exit(0);
  },
);
instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
  latencies.record(responseTime);
  statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
});
instance.on('reqError', (error: Error) => {
  if (firstErrors.length < 5) firstErrors.push(error.message);
});
