import { readFile } from 'node:fs/promises';
import Papa from 'papaparse';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Order } from '../src/contract-types';
import { CHROMIUM_PATH, hasChromium, logIn } from './support/browser';
import { dataFactory, seriousViolations, useConsoleOnRealSystem } from './support/console-suite';

/**
 * Customers' names on orders (a deleted customer's too), the orders list's filters in the
 * URL, its CSV export and an unknown order, against the real system (fresh database).
 */
if (!hasChromium)
  console.warn(`Skipping the console's customer and orders browser tests: no Chromium at ${CHROMIUM_PATH}.`);

describe.skipIf(!hasChromium)(
  'the operator console’s customers, filters and export against the real system',
  () => {
    const run = Date.now().toString(36);
    const suite = useConsoleOnRealSystem();
    const make = dataFactory(suite, run);

    async function loggedIn(hash = '') {
      const opened = await suite.open();
      await logIn(opened.page, { landOn: 'Dashboard' });
      if (hash) await opened.page.goto(`${suite.current.served.url}/${hash}`);
      return opened;
    }

    const heading = (page: Page, name: string | RegExp) =>
      page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' }).waitFor();

    it('when a customer is deleted, then their orders still show their name in the list, the order and the customer screen', async () => {
      const customer = await make.customer(`Gone Away ${run}`);
      const product = await make.product();
      const order = await make.order(customer.id, product.id, { then: 'confirm' });
      const deleted = await make.api.customers.DELETE('/customers/{id}', {
        params: { path: { id: customer.id } },
      });
      expect(deleted.response.status).toBe(204);

      const { page, context, pageErrors } = await loggedIn(`#/orders?customer_id=${customer.id}`);
      await heading(page, 'Orders');
      expect(await page.getByLabel('Customer id').inputValue()).toBe(String(customer.id));
      const row = page.getByRole('row').filter({ hasText: `#${order.id}` });
      await row.getByRole('link', { name: customer.name }).waitFor();
      expect(await page.locator('tbody tr').count()).toBe(1);
      expect(await seriousViolations(page)).toEqual([]);

      await row.getByRole('link', { name: `#${order.id}` }).click();
      await heading(page, /^Order #\d+/);
      const customerFact = page.locator('.facts dd').first();
      await customerFact.filter({ hasText: 'customer deleted' }).waitFor();
      expect(await customerFact.textContent()).toBe(
        `${customer.name} (${customer.email}) · customer deleted`,
      );
      expect(await seriousViolations(page)).toEqual([]);

      await customerFact.getByRole('link', { name: customer.name }).click();
      await heading(page, customer.name);
      expect(new URL(page.url()).hash).toBe(`#/customers/${customer.id}`);
      await page.getByText('This customer was deleted.').waitFor();
      expect(await page.locator('.facts').textContent()).toContain(customer.email);
      await page
        .getByRole('row')
        .filter({ hasText: `#${order.id}` })
        .waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
      await context.close();
    });

    it('when a customer exists, then their screen shows them and only their orders', async () => {
      const customer = await make.customer(`Still Here ${run}`);
      const other = await make.customer();
      const product = await make.product();
      const mine = [await make.order(customer.id, product.id), await make.order(customer.id, product.id)];
      await make.order(other.id, product.id);

      const { page, context, pageErrors } = await loggedIn(`#/customers/${customer.id}`);
      await heading(page, customer.name);
      await page.locator('tbody tr').nth(1).waitFor();
      expect(await page.locator('tbody tr td:first-child').allTextContents()).toEqual(
        mine.map((order) => `#${order.id}`).reverse(),
      );
      expect(await page.getByText('deleted').count()).toBe(0);
      expect(pageErrors).toEqual([]);
      await context.close();
    });

    it('when filters change, then the URL carries them, a reload and back/forward restore them, and from after to is refused without a request', async () => {
      const customer = await make.customer();
      const product = await make.product();
      await make.order(customer.id, product.id, { then: 'confirm' });
      await make.order(customer.id, product.id, { then: 'cancel' });
      const { page, context, pageErrors } = await loggedIn('#/orders');
      await heading(page, 'Orders');
      const hash = () => decodeURIComponent(new URL(page.url()).hash);

      await page.getByLabel('Status').selectOption('CANCELED');
      await page.waitForURL(/status=CANCELED/);
      await page.getByLabel('Customer id').fill(String(customer.id));
      await page.getByLabel('Customer id').press('Enter');
      await page.waitForURL(/customer_id=/);
      expect(hash()).toBe(`#/orders?status=CANCELED&customer_id=${customer.id}`);
      await page.locator('tbody tr').first().waitFor();
      expect(await page.locator('tbody tr').count()).toBe(1);

      await page.reload();
      await heading(page, 'Orders');
      expect(await page.getByLabel('Status').inputValue()).toBe('CANCELED');
      expect(await page.getByLabel('Customer id').inputValue()).toBe(String(customer.id));
      await page.locator('tbody tr').first().waitFor();
      expect(await page.getByRole('row').filter({ hasText: 'CANCELED' }).count()).toBe(1);

      await page.goBack();
      await page.waitForURL((url) => url.hash === '#/orders?status=CANCELED');
      expect(await page.getByLabel('Customer id').inputValue()).toBe('');
      await page.goForward();
      await page.waitForURL(/customer_id=/);
      expect(await page.getByLabel('Customer id').inputValue()).toBe(String(customer.id));

      // A from date after the to date: a message at the field, the URL as it was and no call.
      const calls: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/orders/orders')) calls.push(request.url());
      });
      await Promise.all([
        page.waitForResponse((response) => response.url().includes('from=2026-12-10')),
        page.getByLabel('Created from').fill('2026-12-10'),
      ]);
      const before = hash();
      expect(before).toBe(`#/orders?status=CANCELED&from=2026-12-10&customer_id=${customer.id}`);
      calls.length = 0;
      await page.getByLabel('Created to (inclusive)').fill('2026-12-01');
      await page.getByText('The "to" date must not be before the "from" date.').waitFor();
      expect(await page.getByLabel('Created to (inclusive)').getAttribute('aria-invalid')).toBe('true');
      expect(hash()).toBe(before);
      expect(calls).toEqual([]);

      await page.getByRole('button', { name: 'Reset filters' }).click();
      await page.waitForURL((url) => url.hash === '#/orders');
      expect(await page.getByLabel('Created from').inputValue()).toBe('');
      expect(await page.getByLabel('Created to (inclusive)').inputValue()).toBe('');
      expect(await seriousViolations(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
      await context.close();
    });

    it('when the filtered orders are exported, then the CSV holds every page, cell by cell, with formula-like names defused', async () => {
      const product = await make.product({ stock: 100_000, priceCents: 123_450 });
      const named = [
        await make.customer('=HYPERLINK("x")'),
        await make.customer('+1 Corp'),
        await make.customer('Smith, "Jones" & Co'),
      ];
      const bulk = await make.customer(`Bulk buyer ${run}`);
      await make.order(named[0]!.id, product.id, { then: 'confirm' });
      await make.order(named[1]!.id, product.id, { qty: 2, then: 'cancel' });
      await make.order(named[2]!.id, product.id, { qty: 3 });
      // More than one export page (100 orders) in all.
      for (let batch = 0; batch < 11; batch += 1) {
        await Promise.all(Array.from({ length: 10 }, () => make.order(bulk.id, product.id)));
      }

      // The API's own list of every order, newest first: what the file must hold.
      const expected: Order[] = [];
      let cursor: string | undefined;
      do {
        const { data } = await make.api.orders.GET('/orders', { params: { query: { cursor, limit: 100 } } });
        expected.push(...data!.data);
        cursor = data!.next_cursor ?? undefined;
      } while (cursor);
      expect(expected.length).toBeGreaterThan(100);

      const { page, context, pageErrors } = await loggedIn('#/orders');
      await heading(page, 'Orders');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/^orders-\d{4}-\d{2}-\d{2}\.csv$/);
      const text = await readFile((await download.path())!, 'utf8');
      await page.getByText(`Exported ${expected.length} orders.`).waitFor();

      expect(text.startsWith('\uFEFFid,created_at,status,')).toBe(true);
      expect(text).toContain(`"'=HYPERLINK(""x"")"`);
      expect(text).toContain(`"Smith, ""Jones"" & Co"`);
      expect(text.split('\r\n').at(-1)).toBe('');
      const { data: rows, errors } = Papa.parse<string[]>(text.slice(1), {
        newline: '\r\n',
        skipEmptyLines: true,
      });
      expect(errors).toEqual([]);
      expect(rows[0]).toEqual([
        'id',
        'created_at',
        'status',
        'customer_id',
        'customer_name',
        'customer_email',
        'total_cents',
        'total',
        'items',
        'confirmed_at',
        'canceled_at',
      ]);
      const shownName = (name: string) => (/^[=+\-@\t\r]/.test(name) ? `'${name}` : name);
      expect(rows.slice(1)).toEqual(
        expected.map((order) => [
          String(order.id),
          order.created_at,
          order.status,
          String(order.customer_id),
          shownName(order.customer.name),
          order.customer.email,
          String(order.total_cents),
          `${Math.floor(order.total_cents / 100)}.${String(order.total_cents % 100).padStart(2, '0')}`,
          String(order.items.length),
          order.confirmed_at ?? '',
          order.canceled_at ?? '',
        ]),
      );
      const byName = (name: string) => rows.find((row) => row[4] === name);
      expect(byName(`'=HYPERLINK("x")`)?.slice(2, 8)).toEqual([
        'CONFIRMED',
        String(named[0]!.id),
        `'=HYPERLINK("x")`,
        named[0]!.email,
        '123450',
        '1234.50',
      ]);
      expect(byName(`'+1 Corp`)?.[2]).toBe('CANCELED');
      expect(byName('Smith, "Jones" & Co')?.[7]).toBe('3703.50');

      // With a filter, only the matching orders.
      await page.goto(`${suite.current.served.url}/#/orders?status=CANCELED&customer_id=${named[1]!.id}`);
      await page.locator('tbody tr').first().waitFor();
      const [filtered] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      const filteredRows = Papa.parse<string[]>((await readFile((await filtered.path())!, 'utf8')).slice(1), {
        skipEmptyLines: true,
      }).data;
      expect(filteredRows.map((row) => row[4])).toEqual(['customer_name', `'+1 Corp`]);
      expect(pageErrors).toEqual([]);
      await context.close();
    });

    it('when a customer id is typed and Export is clicked at once, then the file holds only that customer’s orders, as the list then shows', async () => {
      const first = await make.customer();
      const second = await make.customer();
      const product = await make.product();
      await make.order(first.id, product.id, { then: 'confirm' });
      const theirs = [
        await make.order(second.id, product.id, { then: 'confirm' }),
        await make.order(second.id, product.id, { then: 'confirm' }),
      ];
      await make.order(second.id, product.id, { then: 'cancel' });
      const { page, context, pageErrors } = await loggedIn('#/orders?status=CONFIRMED');
      await heading(page, 'Orders');
      await page.locator('tbody tr').first().waitFor();

      const exportCalls: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('limit=100')) exportCalls.push(request.url());
      });
      // No Enter, no Tab: the click on Export is what ends the edit.
      await page.getByLabel('Customer id').fill(String(second.id));
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      const rows = Papa.parse<string[]>((await readFile((await download.path())!, 'utf8')).slice(1), {
        skipEmptyLines: true,
      }).data;
      expect(rows.slice(1).map((row) => [row[0], row[2], row[3]])).toEqual(
        theirs.reverse().map((order) => [String(order.id), 'CONFIRMED', String(second.id)]),
      );
      expect(exportCalls.length).toBeGreaterThan(0);
      expect(exportCalls.every((url) => url.includes(`customer_id=${second.id}`))).toBe(true);
      await page.waitForURL((url) => url.hash === `#/orders?status=CONFIRMED&customer_id=${second.id}`);
      await page.getByText('Exported 2 orders.').waitFor();
      await pollRowCount(page, 2);

      // A customer id that is no id: nothing to export until it is corrected.
      await page.getByLabel('Customer id').fill('abc');
      expect(await page.getByRole('button', { name: 'Export CSV' }).isDisabled()).toBe(true);
      expect(pageErrors).toEqual([]);
      await context.close();
    });

    it('when the address carries filter values that cannot be used, then a notice names them and why, and Reset cleans the address', async () => {
      const { page, context, pageErrors } = await loggedIn(
        '#/orders?customer_id=abc&status=BOGUS&from=2026-12-07&to=2026-12-01',
      );
      await heading(page, 'Orders');
      const notice = page.getByRole('status').filter({ hasText: 'Ignored from the address' });
      await notice.waitFor();
      expect(await notice.textContent()).toBe(
        'Ignored from the address: status "BOGUS" (not one of CREATED, CONFIRMED, CANCELED); ' +
          'customer_id "abc" (not a customer id); ' +
          'from "2026-12-07" and to "2026-12-01" (the "to" date is before the "from" date).',
      );
      expect(await seriousViolations(page)).toEqual([]);
      const reset = page.getByRole('button', { name: 'Reset filters' });
      expect(await reset.isEnabled()).toBe(true);
      await reset.click();
      await page.waitForURL((url) => url.hash === '#/orders');
      await notice.waitFor({ state: 'detached' });
      expect(await reset.isDisabled()).toBe(true);
      expect(pageErrors).toEqual([]);
      await context.close();
    });

    it('when an order does not exist, then the console says so without "Try again"; when the API fails, "Try again" stays', async () => {
      const { page, context, pageErrors } = await loggedIn('#/orders/987654321');
      await page.getByText('Order #987654321 does not exist.').waitFor();
      expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(0);

      await page.route('**/api/orders/orders/987654322', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            type: 'about:blank',
            title: 'Service Unavailable',
            status: 503,
            detail: 'Down.',
          }),
        }),
      );
      await page.goto(`${suite.current.served.url}/#/orders/987654322`);
      await page.getByRole('button', { name: 'Try again' }).waitFor();
      expect(await page.getByText('does not exist').count()).toBe(0);
      expect(pageErrors).toEqual([]);
      await context.close();
    });
  },
);

/** Waits (bounded) until the orders table shows `count` rows. */
async function pollRowCount(page: Page, count: number): Promise<void> {
  await page.waitForFunction(`document.querySelectorAll('tbody tr').length === ${count}`, undefined, {
    timeout: 5_000,
  });
}
