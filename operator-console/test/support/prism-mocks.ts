import path from 'node:path';
import { freePort, startChildService, type ChildService } from '@b2b/service-kit/testing';
import type { ApiUrls } from './console-server';

const ROOT = path.resolve(import.meta.dirname, '../../..');
// node_modules/.bin/prism directly, never npx: stopping npx would orphan the Prism server.
const PRISM = path.join(ROOT, 'node_modules/.bin/prism');

export interface PrismMocks {
  urls: ApiUrls;
  stop(): Promise<void>;
}

/** Prism mocks of the three contracts on free ports, as `npm run mock` serves them. */
export async function startPrismMocks(): Promise<PrismMocks> {
  const names = ['customers', 'orders', 'orchestrator'] as const;
  const started = await Promise.allSettled(
    names.map(async (name) => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const service = await startChildService(
        PRISM,
        ['mock', '-h', '127.0.0.1', '-p', String(port), `contracts/${name}.yaml`],
        { cwd: ROOT, readyUrl: `${url}/__prism_ready_probe` },
      );
      return { url, service };
    }),
  );
  const services: ChildService[] = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value.service] : [],
  );
  const stop = async () => {
    await Promise.all(services.map((service) => service.stop()));
  };
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const [customers, orders, orchestrator] = started.map(
    (result) => (result as PromiseFulfilledResult<{ url: string }>).value.url,
  );
  return { urls: { customers: customers!, orders: orders!, orchestrator: orchestrator! }, stop };
}
