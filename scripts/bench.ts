// `npm run bench`: throughput and latency of the hot paths, measured against the real
// Customers and Orders APIs (in this process, real HTTP on loopback) on a fresh database
// that is dropped afterwards. It prints figures; it asserts nothing.
import { createLogger, listen } from '@b2b/service-kit';
import { createTestDatabase } from '../service-kit/src/testing/test-database';
import { TEST_AUTH, operatorToken } from '../service-kit/src/testing/auth';
import { createCustomersApp } from '../customers-api/src/app';
import { createOrdersApp } from '../orders-api/src/app';

const scale = Number(process.env.BENCH_SCALE ?? 1);

interface Measurement {
  name: string;
  requests: number;
  concurrency: number;
  seconds: number;
  latenciesMs: number[];
  statuses: Map<number, number>;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

/** Sends `requests` requests with at most `concurrency` in flight and records each latency. */
async function measure(
  name: string,
  requests: number,
  concurrency: number,
  send: (index: number) => Promise<Response>,
): Promise<Measurement> {
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const index = next++;
        const sentAt = performance.now();
        const response = await send(index);
        await response.arrayBuffer();
        latenciesMs.push(performance.now() - sentAt);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  return {
    name,
    requests,
    concurrency,
    seconds: (performance.now() - startedAt) / 1000,
    latenciesMs,
    statuses,
  };
}

function report(measurement: Measurement) {
  const sorted = [...measurement.latenciesMs].sort((a, b) => a - b);
  return {
    scenario: measurement.name,
    requests: measurement.requests,
    concurrency: measurement.concurrency,
    'req/s': Math.round(measurement.requests / measurement.seconds),
    'p50 ms': percentile(sorted, 0.5).toFixed(1),
    'p95 ms': percentile(sorted, 0.95).toFixed(1),
    'p99 ms': percentile(sorted, 0.99).toFixed(1),
    statuses: [...measurement.statuses].map(([status, count]) => `${status}×${count}`).join(' '),
  };
}

const database = await createTestDatabase({ poolSize: 10 });
const logger = createLogger({ service: 'bench', level: 'silent' });
const customersApi = await listen(createCustomersApp({ db: database.db, auth: TEST_AUTH, logger }));
const ordersApi = await listen(
  createOrdersApp({ db: database.db, auth: TEST_AUTH, logger, customersApiBase: customersApi.url }),
);

try {
  const headers = { Authorization: `Bearer ${await operatorToken()}`, 'Content-Type': 'application/json' };
  const post = (url: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) });

  const idOf = async (response: Promise<Response>) => ((await (await response).json()) as { id: number }).id;

  const customerId = await idOf(
    post(`${customersApi.url}/customers`, { name: 'Bench', email: 'bench@example.test' }),
  );
  const productIds = await Promise.all(
    Array.from({ length: 50 }, (_, index) =>
      idOf(
        post(`${ordersApi.url}/products`, {
          sku: `BENCH-${index}`,
          name: `Bench product ${index}`,
          price_cents: 100 + index,
          stock: 1_000_000,
        }),
      ),
    ),
  );
  const oneItem = { customer_id: customerId, items: [{ product_id: productIds[0], qty: 1 }] };
  const fiftyItems = { customer_id: customerId, items: productIds.map((id) => ({ product_id: id, qty: 1 })) };

  const rssBefore = process.memoryUsage().rss;
  const results = [
    await measure('GET /products/{id}', 2000 * scale, 16, () =>
      fetch(`${ordersApi.url}/products/${productIds[0]}`, { headers }),
    ),
    await measure('GET /customers?limit=20', 1000 * scale, 16, () =>
      fetch(`${customersApi.url}/customers?limit=20`, { headers }),
    ),
    await measure('POST /orders (1 item, one hot product)', 1000 * scale, 16, () =>
      post(`${ordersApi.url}/orders`, oneItem),
    ),
    await measure('POST /orders (50 items)', 200 * scale, 8, () =>
      post(`${ordersApi.url}/orders`, fiftyItems),
    ),
    await measure('POST /orders + confirm with keys', 300 * scale, 8, async (index) => {
      const orderId = await idOf(
        post(`${ordersApi.url}/orders`, oneItem, { 'X-Idempotency-Key': `bench-create-${index}` }),
      );
      return post(`${ordersApi.url}/orders/${orderId}/confirm`, undefined, {
        'X-Idempotency-Key': `bench-confirm-${index}`,
      });
    }),
  ];
  console.table(results.map(report));
  const rssAfter = process.memoryUsage().rss;
  console.log(
    `memory: rss ${(rssBefore / 2 ** 20).toFixed(0)} MiB before the load, ${(rssAfter / 2 ** 20).toFixed(0)} MiB after ` +
      `(both APIs and the load generator in one process); database ${database.name}, pool 10 per API`,
  );
} finally {
  await ordersApi.close();
  await customersApi.close();
  await database.drop();
}
