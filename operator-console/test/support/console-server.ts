import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, startChildService, type ChildService } from '@b2b/service-kit/testing';

export const CONSOLE_DIR = path.resolve(import.meta.dirname, '../..');
const ROOT = path.resolve(CONSOLE_DIR, '..');
const VITE = path.join(ROOT, 'node_modules/.bin/vite');

/**
 * Vite refuses a second `build` or `preview` of the same project while one runs (a lock in
 * its cache folder). The browser suites run side by side (vitest's workers), each with its
 * own output folder and port, so they share nothing the lock protects.
 */
const BYPASS_LOCK = '--bypass-lock';

/** Builds the console into `outDir` exactly as `npm run console` does (vite build). */
export async function buildConsole(outDir: string): Promise<void> {
  await promisify(execFile)(
    VITE,
    ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn', BYPASS_LOCK],
    { cwd: CONSOLE_DIR },
  );
}

/** Every source file the built bundle was made from, read from its source maps. */
export async function bundledSources(outDir: string): Promise<string[]> {
  const assets = path.join(outDir, 'assets');
  const maps = (await readdir(assets)).filter((name) => name.endsWith('.js.map'));
  const sources: string[] = [];
  for (const map of maps) {
    sources.push(
      ...(JSON.parse(await readFile(path.join(assets, map), 'utf8')) as { sources: string[] }).sources,
    );
  }
  return sources;
}

export interface ApiUrls {
  customers: string;
  orders: string;
  orchestrator: string;
}

export interface ServedConsole {
  url: string;
  service: ChildService;
}

/**
 * Serves a built console with `vite preview` on a free port, its proxy pointed at the given
 * APIs: the real system or the Prism mocks, the same files either way.
 */
export async function serveConsole(
  outDir: string,
  backend: 'real' | 'mock',
  apis: ApiUrls,
): Promise<ServedConsole> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = await startChildService(
    VITE,
    ['preview', '--outDir', outDir, '--logLevel', 'warn', BYPASS_LOCK],
    {
      cwd: CONSOLE_DIR,
      readyUrl: `${url}/`,
      env: {
        CONSOLE_PORT: String(port),
        CONSOLE_BACKEND: backend,
        CUSTOMERS_URL: apis.customers,
        ORDERS_URL: apis.orders,
        ORCHESTRATOR_URL: apis.orchestrator,
      },
    },
  );
  return { url, service };
}
