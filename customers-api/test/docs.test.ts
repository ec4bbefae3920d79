import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { document as customersContract } from '@b2b/contracts/customers';
import { document as orchestratorContract } from '@b2b/contracts/orchestrator';
import { document as ordersContract } from '@b2b/contracts/orders';
import { useCustomersApi } from './helpers';

/**
 * The docs of a running API (service-kit's ops routes), seen the way a reader sees them: the
 * API runs on an ephemeral port, never on the port its contract file names, so a served
 * contract or a "Try it out" that still pointed at 127.0.0.1:3001 fails here.
 */
const api = useCustomersApi();

// Debian's package (`apt-get install chromium`); playwright-core downloads no browser.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Served {
  servers: Array<{ url: string }>;
  paths: Record<string, unknown>;
  info: { title: string; description: string };
}

describe('GET /openapi.yaml', () => {
  it('when the contract is fetched, then its one server is relative, the server it was fetched from', async () => {
    const response = await api.client.get('/openapi.yaml');
    const served = parse(response.text) as Served;

    expect(response.status).toBe(200);
    expect(served.servers).toEqual([{ url: '.', description: expect.any(String) }]);
    expect(served.paths).toEqual(customersContract.paths);
    expect(response.text).not.toContain('127.0.0.1:3001');
  });
});

describe('GET /docs/{name}.yaml', () => {
  it.each([
    ['/docs/orders.yaml', ordersContract],
    ['/docs/orchestrator.yaml', orchestratorContract],
  ])(
    'when %s is fetched, then it is that contract, with its own servers and marked read-only',
    async (path, contract) => {
      const response = await api.client.get(path);
      const served = parse(response.text) as Served;

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/yaml/);
      expect(served.info.title).toBe(contract.info.title);
      expect(served.paths).toEqual(contract.paths);
      expect(served.servers).toEqual((contract as unknown as Served).servers);
      expect(served.info.description).toMatch(
        /^\*A read-only copy for reference, served by the Customers API/,
      );
    },
  );

  it('when the API’s own contract or an unknown one is asked for there, then 404', async () => {
    expect((await api.client.get('/docs/customers.yaml')).status).toBe(404);
    expect((await api.client.get('/docs/payments.yaml')).status).toBe(404);
  });
});

describe('the docs page in a browser', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage();
    // A Content-Security-Policy violation or a script error shows up as one of these.
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${api.baseUrl}/docs`);
  });

  afterAll(async () => {
    await browser?.close();
  });

  const title = () => page.locator('.information-container .title').first();

  it('when "Try it out" runs GET /health, then the request goes to the server the page came from', async () => {
    await expect.poll(() => title().textContent(), { timeout: 15_000 }).toContain('Customers API');
    const operation = page.locator('#operations-ops-getHealth');

    await operation.locator('.opblock-summary-control').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('.execute').click();

    await expect
      .poll(() => operation.locator('.live-responses-table tbody .response-col_status').first().textContent())
      .toBe('200');
    expect(await operation.locator('.request-url pre').textContent()).toBe(`${api.baseUrl}/health`);
    expect(problems).toEqual([]);
  });

  it.each([
    ['Orchestrator (read-only)', 'Orchestrator', '#operations-orchestrator-createAndConfirmOrder'],
    ['Orders API (read-only)', 'Orders API', '#operations-orders-createOrder'],
  ])(
    'when "%s" is chosen in the top bar, then its contract shows, without "Try it out"',
    async (choice, shownTitle, operationId) => {
      await page.locator('.topbar select').selectOption({ label: choice });
      await expect.poll(() => title().textContent(), { timeout: 15_000 }).toContain(shownTitle);
      const operation = page.locator(operationId);

      await operation.locator('.opblock-summary-control').click();
      await operation.locator('.opblock-body').waitFor();

      expect(await operation.locator('.try-out__btn').count()).toBe(0);
      expect(problems).toEqual([]);
    },
  );

  it('when the page is opened as /docs/, then it renders the same', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${api.baseUrl}/docs/`);
      await expect
        .poll(() => other.locator('.information-container .title').first().textContent(), { timeout: 15_000 })
        .toContain('Customers API');
    } finally {
      await other.close();
    }
  });

  it('when this API’s own contract is chosen again, then "Try it out" is offered again', async () => {
    await page.locator('.topbar select').selectOption({ label: 'Customers API (this server)' });
    await expect.poll(() => title().textContent(), { timeout: 15_000 }).toContain('Customers API');
    const operation = page.locator('#operations-customers-getCustomer');

    await operation.locator('.opblock-summary-control').click();

    await expect.poll(() => operation.locator('.try-out__btn').count()).toBe(1);
  });
});
