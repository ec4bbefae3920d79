import path from 'node:path';
import { freePort, startChildService, type ChildService } from '@b2b/service-kit/testing';
import { ROOT } from './orchestrator';

export interface PrismMock {
  url: string;
  stop(): Promise<void>;
}

/** Starts `prism mock` for one contract on a free port; it answers the contract's static examples. */
export async function startPrismMock(contractName: 'customers' | 'orders'): Promise<PrismMock> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const mock: ChildService = await startChildService(
    path.join(ROOT, 'node_modules/.bin/prism'),
    ['mock', '-h', '127.0.0.1', '-p', String(port), `contracts/${contractName}.yaml`],
    { cwd: ROOT, readyUrl: `${url}/__prism_ready_probe` },
  );
  return { url, stop: () => mock.stop() };
}
