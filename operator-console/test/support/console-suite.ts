import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createCustomersClient } from '@b2b/contracts/customers';
import { createOrdersClient } from '@b2b/contracts/orders';
import { startSystem, type RunningSystem } from '../../../test/support/system';
import { launchChromium, openConsole, type ConsolePage } from './browser';
import { buildConsole, serveConsole, type ApiUrls, type ServedConsole } from './console-server';
import { startPrismMocks, type PrismMocks } from './prism-mocks';

/** What a browser test file runs against, started once for the file. */
interface Backend {
  urls: ApiUrls;
  stop(): Promise<void>;
}

/** The console every test of a file shares. */
interface SharedConsole {
  /** The production build's folder (its source maps name what was bundled). */
  outDir: string;
  served: ServedConsole;
  browser: Browser;
}

/** A test file's console: `.current` once `beforeAll` has run, and `open` for a test's own page. */
export interface ConsoleHandle<Suite extends SharedConsole> {
  readonly current: Suite;
  /**
   * A fresh browser context (see openConsole) on the served console, at `route` when given
   * (a hash route such as `/#/products?stock_below=5`), before logging in.
   */
  open(route?: string, options?: Parameters<typeof openConsole>[2]): Promise<ConsolePage>;
}

export type ConsoleSuite = SharedConsole & { system: RunningSystem };
export type MockConsoleSuite = SharedConsole & { mocks: PrismMocks };

/**
 * A backend, one production build of the console served in front of it and one Chromium for
 * a whole test file, started in `beforeAll` and stopped in `afterAll` (whatever did start,
 * even when another part failed). `named` says under which name tests read the backend.
 */
function useConsoleOn<B extends Backend, Named extends object>(
  kind: 'real' | 'mock',
  start: () => Promise<B>,
  named: (backend: B) => Named,
): ConsoleHandle<SharedConsole & Named> {
  let started: Partial<SharedConsole & { backend: B }> = {};
  beforeAll(async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'operator-console-'));
    started.outDir = outDir;
    const [backend] = await Promise.all([
      start().then((backend) => (started.backend = backend)),
      buildConsole(outDir),
    ]);
    started.served = await serveConsole(outDir, kind, backend.urls);
    started.browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    const { browser, served, backend, outDir } = started;
    started = {};
    await browser?.close();
    await served?.service.stop();
    await backend?.stop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });
  const handle: ConsoleHandle<SharedConsole & Named> = {
    get current() {
      const { backend, outDir, served, browser } = started;
      if (!backend || !outDir || !served || !browser) throw new Error('the console suite is not started yet');
      return { outDir, served, browser, ...named(backend) };
    },
    open(route = '', options) {
      const { browser, served } = handle.current;
      return openConsole(browser, `${served.url}${route}`, options);
    },
  };
  return handle;
}

/** The console on one real system (fresh database) for the whole file. */
export function useConsoleOnRealSystem(): ConsoleHandle<ConsoleSuite> {
  return useConsoleOn('real', startSystem, (system) => ({ system }));
}

/** The console on the Prism mocks of `npm run mock` for the whole file. */
export function useConsoleOnMocks(): ConsoleHandle<MockConsoleSuite> {
  return useConsoleOn('mock', startPrismMocks, (mocks) => ({ mocks }));
}

/** Typed clients of the real APIs with the operator's token, for arranging data other clients would have made. */
export function apiClients(system: RunningSystem) {
  const options = { bearerToken: system.token, timeoutMs: 5_000 };
  return {
    customers: createCustomersClient({ baseUrl: system.urls.customers, ...options }),
    orders: createOrdersClient({ baseUrl: system.urls.orders, ...options }),
  };
}

/**
 * Serious and critical axe violations on the page as it is (rule id and the elements): what
 * each screen must have none of. A few seconds a call on a small machine, so once per screen.
 */
export async function seriousViolations(page: Page) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ id: violation.id, nodes: violation.nodes.map((node) => node.target.join(' ')) }));
}

let sequence = 0;

/**
 * Small factories over the real APIs: each test makes the customers, products and orders it
 * reads, named with `run` so that nothing depends on ids or on another test's data. Declared
 * once per file, beside the suite (`const make = dataFactory(suite, run)`); each call throws
 * with the API's problem when it is refused.
 */
export function dataFactory(suite: { readonly current: { system: RunningSystem } }, run: string) {
  // Read when a test calls, not when the file declares its factory: the system starts later.
  let cached: { system: RunningSystem; api: ReturnType<typeof apiClients> } | undefined;
  const clients = () => {
    const { system } = suite.current;
    if (cached?.system !== system) cached = { system, api: apiClients(system) };
    return cached.api;
  };
  const fail = (what: string, error: unknown): never => {
    throw new Error(`${what}: ${JSON.stringify(error)}`);
  };
  return {
    get api() {
      return clients();
    },
    async customer(
      name = `Customer ${run} ${(sequence += 1)}`,
      { email = `customer-${run}-${(sequence += 1)}@console-tests.example` } = {},
    ) {
      const { data, error } = await clients().customers.POST('/customers', { body: { name, email } });
      return data ?? fail('customer not created', error);
    },
    /** A product; its SKU is upper-cased (the run id is not), as operators write SKUs. */
    async product({ stock = 1_000, priceCents = 1250, sku = `CON-${run}-${(sequence += 1)}` } = {}) {
      const { data, error } = await clients().orders.POST('/products', {
        body: {
          sku: sku.toUpperCase(),
          name: `Console pallet ${(sequence += 1)}`,
          price_cents: priceCents,
          stock,
        },
      });
      return data ?? fail('product not created', error);
    },
    /** An order of `qty` units of one product, then confirmed or canceled when asked. */
    async order(
      customerId: number,
      productId: number,
      { qty = 1, then }: { qty?: number; then?: 'confirm' | 'cancel' } = {},
    ) {
      const { data, error } = await clients().orders.POST('/orders', {
        body: { customer_id: customerId, items: [{ product_id: productId, qty }] },
      });
      const order = data ?? fail('order not created', error);
      if (then === 'confirm') {
        const confirmed = await clients().orders.POST('/orders/{id}/confirm', {
          params: { path: { id: order.id }, header: { 'X-Idempotency-Key': `confirm-${run}-${order.id}` } },
        });
        return confirmed.data ?? fail('order not confirmed', confirmed.error);
      }
      if (then === 'cancel') {
        const canceled = await clients().orders.POST('/orders/{id}/cancel', {
          params: { path: { id: order.id } },
        });
        return canceled.data ?? fail('order not canceled', canceled.error);
      }
      return order;
    },
  };
}
