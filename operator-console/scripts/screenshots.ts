// `npm run console:screenshots`: writes docs/console-*.png, the README's pictures of the
// operator console. It starts the real system on a fresh database with the development seed
// (db/seed.sql), serves the console's production build in front of it, and takes the
// pictures in the same headless Chromium as the browser tests. Nothing else needs to run.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { applySeed, createLogger, listen } from '@b2b/service-kit';
import { TEST_AUTH, createTestDatabase } from '@b2b/service-kit/testing';
import { createCustomersApp } from '@b2b/customers-api/app';
import { createOrdersApp } from '@b2b/orders-api/app';
import { startOfflineOrchestrator } from '@b2b/lambda-orchestrator/testing';
import { hasChromium, launchChromium, logIn, openConsole, CHROMIUM_PATH } from '../test/support/browser';
import { buildConsole, serveConsole } from '../test/support/console-server';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOCS = path.join(ROOT, 'docs');

if (!hasChromium) {
  console.error(`No Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH).`);
  process.exit(1);
}

const stops: (() => Promise<unknown>)[] = [];
async function stopAll() {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}

async function snap(page: Page, name: string) {
  const file = path.join(DOCS, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`wrote ${path.relative(ROOT, file)}`);
}

async function goTo(page: Page, screen: string) {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: screen, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: screen, exact: true }).waitFor();
}

try {
  execFileSync('node', ['build.mjs'], { cwd: path.join(ROOT, 'lambda-orchestrator'), stdio: 'inherit' });
  const database = await createTestDatabase();
  stops.push(() => database.drop());
  await applySeed(database.db);
  const logger = createLogger({ service: 'console-screenshots', level: 'silent' });
  const customers = await listen(createCustomersApp({ db: database.db, auth: TEST_AUTH, logger }));
  stops.push(() => customers.close());
  const orders = await listen(
    createOrdersApp({ db: database.db, auth: TEST_AUTH, logger, customersApiBase: customers.url }),
  );
  stops.push(() => orders.close());
  const orchestrator = await startOfflineOrchestrator({ ordersApiBase: orders.url });
  stops.push(() => orchestrator.service.stop());

  const outDir = await mkdtemp(path.join(os.tmpdir(), 'operator-console-'));
  stops.push(() => rm(outDir, { recursive: true, force: true }));
  await buildConsole(outDir);
  const served = await serveConsole(outDir, 'real', {
    customers: customers.url,
    orders: orders.url,
    orchestrator: orchestrator.url,
  });
  stops.push(() => served.service.stop());
  const browser = await launchChromium();
  stops.push(() => browser.close());

  const { page } = await openConsole(browser, served.url);
  await page.getByLabel('Username').fill('operator');
  await snap(page, 'login');
  await logIn(page);

  await goTo(page, 'New order');
  await page
    .getByLabel('Customer', { exact: true })
    .selectOption({ label: 'Globex Logistics — orders@globex.example' });
  for (const [sku, qty] of [
    ['PAL-EUR-1200', '12'],
    ['WRAP-STR-23', '4'],
    ['LBL-THERM-100', '10'],
  ] as const) {
    const product = page.getByLabel('Product', { exact: true });
    const label = await product.locator('option', { hasText: `${sku} — ` }).textContent();
    await product.selectOption({ label: label! });
    await page.getByLabel('Quantity', { exact: true }).fill(qty);
    await page.getByRole('button', { name: 'Add line' }).click();
  }
  await snap(page, 'new-order');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByRole('link', { name: /Open order #\d+/ }).click();
  await page.getByRole('heading', { level: 1, name: /CONFIRMED/ }).waitFor();
  await page.getByText(/Can be canceled until/).waitFor();
  await snap(page, 'order');

  await goTo(page, 'Orders');
  await page.locator('tbody tr').nth(2).waitFor();
  await snap(page, 'orders');

  await goTo(page, 'Customers');
  await page.locator('tbody tr').nth(4).waitFor();
  await page.getByRole('button', { name: 'New customer' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Wayne Enterprises');
  await page.getByLabel('Email', { exact: true }).fill('purchasing.wayne-enterprises.example');
  await page.getByLabel('Phone (optional)').fill('+1 212 555 0142');
  await page.getByRole('button', { name: 'Create customer' }).click();
  await page.getByRole('alert').waitFor();
  await snap(page, 'customers');

  await goTo(page, 'Products');
  await page.locator('tbody tr').nth(9).waitFor();
  await snap(page, 'products');
} finally {
  await stopAll();
}
