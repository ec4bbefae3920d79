// `npm run console:screenshots`: writes docs/console-*.png, the README's pictures of the
// operator console. It starts the real system on a fresh database with the development seed
// (db/seed.sql), serves the console's production build in front of it, and takes the
// pictures in the same headless Chromium as the browser tests. Nothing else needs to run.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createOrdersClient } from '@b2b/contracts/orders';
import {
  applySeed,
  createLogger,
  createMetricsRegistry,
  listen,
  sql,
  startEventRelay,
  type Queryable,
} from '@b2b/service-kit';
import { ORDERS_OUTBOX } from '@b2b/orders-api/events';
import { TEST_AUTH, createTestDatabase, operatorToken } from '@b2b/service-kit/testing';
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

/**
 * A month of business for the dashboard's chart: a few orders on each of the last 29 days
 * (placed through the Orders API, most confirmed, some canceled, then moved back in time with
 * SQL, since the API stamps orders with now), and a printer sold down to low stock.
 */
async function addOrderHistory(ordersUrl: string, db: Queryable) {
  const orders = createOrdersClient({
    baseUrl: ordersUrl,
    bearerToken: await operatorToken(),
    timeoutMs: 5_000,
  });
  const place = async (customerId: number, productId: number, qty: number) => {
    const { data, error } = await orders.POST('/orders', {
      body: { customer_id: customerId, items: [{ product_id: productId, qty }] },
    });
    if (!data) throw new Error(`order not placed: ${JSON.stringify(error)}`);
    return data.id;
  };
  await place(5, 8, 8);
  for (let daysAgo = 29; daysAgo >= 1; daysAgo -= 1) {
    const count = 1 + ((daysAgo * 7) % 5) + (daysAgo % 7 < 2 ? 0 : 2);
    for (let index = 0; index < count; index += 1) {
      const id = await place(
        ((daysAgo + index) % 5) + 1,
        ((daysAgo * 3 + index) % 6) + 1,
        1 + ((daysAgo + index) % 4),
      );
      const outcome = (daysAgo + index) % 6 === 0 ? 'cancel' : 'confirm';
      const { error } =
        outcome === 'cancel'
          ? await orders.POST('/orders/{id}/cancel', { params: { path: { id } } })
          : await orders.POST('/orders/{id}/confirm', {
              params: { path: { id }, header: { 'X-Idempotency-Key': `screenshots-${id}` } },
            });
      if (error) throw new Error(`order ${id} not ${outcome}ed: ${JSON.stringify(error)}`);
      await db.query(sql`
        UPDATE orders
        SET created_at = created_at - INTERVAL ${daysAgo} DAY - INTERVAL ${index * 47} MINUTE,
            updated_at = updated_at - INTERVAL ${daysAgo} DAY,
            confirmed_at = confirmed_at - INTERVAL ${daysAgo} DAY,
            canceled_at = canceled_at - INTERVAL ${daysAgo} DAY
        WHERE id = ${id}`);
    }
  }
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
  // The Orders API's relay without a broker numbers the events for the feed, as npm start's
  // does, so the order screen shows its timeline; driven by runOnce below.
  const relay = startEventRelay({
    db: database.db,
    outbox: ORDERS_OUTBOX,
    broker: undefined,
    logger,
    registry: createMetricsRegistry(),
    retentionHours: 168,
    idleMs: 600_000,
  });
  stops.push(() => relay.stop());
  await addOrderHistory(orders.url, database.db);
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
  await logIn(page, { landOn: 'Dashboard' });
  await page.locator('.chart-canvas canvas').first().waitFor();
  await page.getByRole('link', { name: /^Low-stock products/ }).waitFor();
  await snap(page, 'dashboard');

  await goTo(page, 'New order');
  // The pickers are type-ahead comboboxes: type, then choose the option.
  await page.getByRole('combobox', { name: 'Customer' }).fill('Globex');
  await page.getByRole('option', { name: /^Globex Logistics/ }).click();
  for (const [sku, qty] of [
    ['PAL-EUR-1200', '12'],
    ['WRAP-STR-23', '4'],
    ['LBL-THERM-100', '10'],
  ] as const) {
    await page.getByRole('combobox', { name: 'Product' }).fill(sku);
    await page.getByRole('option', { name: new RegExp(`^${sku} — `) }).click();
    await page.getByLabel('Quantity', { exact: true }).fill(qty);
    await page.getByRole('button', { name: 'Add line' }).click();
  }
  await snap(page, 'new-order');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByRole('link', { name: /Open order #\d+/ }).waitFor();
  while ((await relay.runOnce()) > 0);
  await page.getByRole('link', { name: /Open order #\d+/ }).click();
  await page.getByRole('heading', { level: 1, name: /CONFIRMED/ }).waitFor();
  await page.getByText(/Can be canceled until/).waitFor();
  await snap(page, 'order');

  await goTo(page, 'Orders');
  await page.locator('tbody tr').nth(2).waitFor();
  await snap(page, 'orders');

  await page.locator('tbody tr').first().getByRole('link', { name: 'Globex Logistics' }).click();
  await page.getByRole('heading', { level: 1, name: 'Globex Logistics' }).waitFor();
  await page.locator('tbody tr').nth(2).waitFor();
  await snap(page, 'customer');

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

  // Last, in a fresh context: the log-in screen needs a browser without a session.
  const loggedOut = await openConsole(browser, served.url);
  await loggedOut.page.getByLabel('Username').fill('operator');
  await snap(loggedOut.page, 'login');
} finally {
  await stopAll();
}
