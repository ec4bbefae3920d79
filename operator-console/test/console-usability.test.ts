import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { FIELD_HINTS } from '../../generated/field-hints';
import { CHROMIUM_PATH, descriptionOf, goTo, hasChromium, logIn } from './support/browser';
import { chooseByKeyboard } from './support/combobox';
import { dataFactory, seriousViolations, useConsoleOnRealSystem } from './support/console-suite';

/**
 * What makes the console usable day to day, against the real system in headless Chromium:
 * type-ahead pickers driven by the keyboard alone, errors in an operator's words next to
 * their fields, every screen at a phone's 390 px, and a page for unknown addresses.
 */
if (!hasChromium) console.warn(`Skipping the console's usability tests: no Chromium at ${CHROMIUM_PATH}.`);

const PHONE = { width: 390, height: 844 };

describe.skipIf(!hasChromium)('the operator console, usable by keyboard, in its words, on a phone', () => {
  const run = Date.now().toString(36);
  const suite = useConsoleOnRealSystem();
  const make = dataFactory(suite, run);

  describe('type-ahead pickers', () => {
    it('when an operator picks a customer and a product with the keyboard only and places the order, then the stock shown is the API’s new stock', async () => {
      const customer = await make.customer(`Keyboard Only ${run}`);
      // Two products that one search lists together: the arrow keys choose between them.
      const sku = `KBD-${run}-B`.toUpperCase();
      await make.product({ stock: 5, priceCents: 1000, sku: `KBD-${run}-A` });
      const product = await make.product({ stock: 40, priceCents: 1000, sku });
      const { context, page, pageErrors } = await suite.open();
      await logIn(page, { landOn: 'Dashboard' });
      await goTo(page, 'New order');

      const customerBox = page.getByRole('combobox', { name: 'Customer', exact: true });
      await customerBox.focus();
      await customerBox.pressSequentially(`Keyboard Only ${run}`);
      const customerList = page.getByRole('listbox', { name: 'Customer' });
      await customerList.getByRole('option').first().waitFor();
      // The APG combobox: the box controls the list and points at the active option.
      expect(await customerBox.getAttribute('aria-expanded')).toBe('true');
      expect(await customerBox.getAttribute('aria-controls')).toBe(await customerList.getAttribute('id'));
      expect(await customerBox.getAttribute('aria-activedescendant')).toBeNull();
      await customerBox.press('ArrowDown');
      const active = await customerBox.getAttribute('aria-activedescendant');
      expect(await page.locator(`[id="${active}"]`).getAttribute('aria-selected')).toBe('true');
      expect(await seriousViolations(page)).toEqual([]);
      // Escape closes the list and keeps the text.
      await customerBox.press('Escape');
      expect(await customerBox.getAttribute('aria-expanded')).toBe('false');
      expect(await customerBox.inputValue()).toBe(`Keyboard Only ${run}`);

      await chooseByKeyboard(page, 'Customer', customer.name, `${customer.name} — ${customer.email}`);
      expect(await customerBox.inputValue()).toBe(`${customer.name} — ${customer.email}`);
      await chooseByKeyboard(page, 'Product', `KBD-${run}`, `${sku} — ${product.name} (10.00, 40 in stock)`);
      const productBox = page.getByRole('combobox', { name: 'Product', exact: true });
      expect(await descriptionOf(page, productBox)).toContain('40 in stock');
      await productBox.press('Tab');
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('3');
      await page.keyboard.press('Enter');
      await page.getByRole('row').filter({ hasText: sku }).waitFor();
      expect(await page.getByTestId('order-total').textContent()).toBe('30.00');

      await page.getByRole('button', { name: 'Place order' }).focus();
      await page.keyboard.press('Enter');
      await page.getByText(/Order #\d+ placed and confirmed/).waitFor();
      // The picker read its product again: 40 - 3.
      await page.getByText('10.00 each, 37 in stock.').waitFor();
      await chooseByKeyboard(page, 'Product', sku, `${sku} — ${product.name} (10.00, 37 in stock)`);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);
  });

  describe('the products list in the address', () => {
    it('when the products screen is opened with stock_below and a search is made, then both filter the list, the search is written to the address, and a reload keeps them', async () => {
      const low = await make.product({ stock: 2, sku: `LOW-${run}-A` });
      const plenty = await make.product({ stock: 50, sku: `LOW-${run}-B` });
      const { context, page, pageErrors } = await suite.open('/#/products?stock_below=5');
      await logIn(page, { landOn: 'Products' });
      await page.getByText('Showing products with fewer than 5 in stock.').waitFor();
      await page.getByLabel('Search products').fill(`low-${run}`);
      await page.getByLabel('Search products').press('Enter');
      await page.getByRole('row').filter({ hasText: low.sku }).waitFor();
      expect(await page.getByRole('row').filter({ hasText: plenty.sku }).count()).toBe(0);
      expect(new URL(page.url()).hash).toBe(`#/products?search=low-${run}&stock_below=5`);
      // The search box keeps the focus: a search is not a new screen.
      expect(
        await page.getByLabel('Search products').evaluate((box) => box === box.ownerDocument.activeElement),
      ).toBe(true);

      await page.reload();
      await page.getByRole('row').filter({ hasText: low.sku }).waitFor();
      expect(await page.getByLabel('Search products').inputValue()).toBe(`low-${run}`);
      await page.getByRole('button', { name: 'Show all stock levels' }).click();
      await page.getByRole('row').filter({ hasText: plenty.sku }).waitFor();
      expect(new URL(page.url()).hash).toBe(`#/products?search=low-${run}`);

      // A stock_below the contract refuses is not sent: the screen says so and can clean the address.
      await goToHash(page, `#/products?search=low-${run}&stock_below=0`);
      await page
        .getByRole('status')
        .filter({
          hasText: 'Ignored from the address: stock_below "0" (not a whole number from 1 to 1,000,000,000).',
        })
        .waitFor();
      await page.getByRole('row').filter({ hasText: plenty.sku }).waitFor();
      await page.getByRole('button', { name: 'Remove from the address' }).click();
      await page.waitForURL((url) => url.hash === `#/products?search=low-${run}`);
      expect(await page.getByText('Ignored from the address').count()).toBe(0);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);
  });

  describe('errors in an operator’s words', () => {
    it('when a phone is refused, then its field says what the contract says a phone is, and the alert shows no status title or request keys', async () => {
      const { context, page, pageErrors } = await suite.open();
      await logIn(page, { landOn: 'Dashboard' });
      await goTo(page, 'Customers');
      await page.getByRole('button', { name: 'New customer' }).click();
      await page.getByLabel('Name', { exact: true }).fill(`Phone ${run}`);
      await page.getByLabel('Email', { exact: true }).fill(`phone-${run}@console-usability.example`);
      const phone = page.getByLabel('Phone (optional)');
      await phone.fill('call me maybe');
      await page.getByRole('button', { name: 'Create customer' }).click();
      const rule = FIELD_HINTS.customers['POST /customers'].phone;
      await page.locator('.field-error').filter({ hasText: rule }).waitFor();
      expect(await phone.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(page, phone)).toContain(rule);
      const alert = page.getByRole('alert');
      const text = (await alert.textContent()) ?? '';
      expect(text).toContain('VALIDATION_FAILED');
      expect(text).not.toMatch(/Bad Request|body\.phone|pattern|\^\\\+/);
      expect(await page.getByTestId('correlation-id').textContent()).toMatch(/\S/);
      expect(await seriousViolations(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);

    it('when an edit takes another customer’s email, then EMAIL_TAKEN is shown on the email field', async () => {
      const taken = await make.customer();
      const editing = await make.customer();
      const { context, page, pageErrors } = await suite.open();
      await logIn(page, { landOn: 'Dashboard' });
      await goTo(page, 'Customers');
      await page.getByLabel('Search customers').fill(editing.name);
      await page.getByLabel('Search customers').press('Enter');
      await page.getByRole('button', { name: `Edit ${editing.name}` }).click();
      const email = page.getByLabel('Email', { exact: true });
      await email.fill(taken.email.toUpperCase());
      await page.getByRole('button', { name: 'Save customer' }).click();
      await page.getByRole('alert').filter({ hasText: 'EMAIL_TAKEN' }).waitFor();
      expect(await email.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(page, email)).toMatch(/already exists/);
      expect(await page.getByRole('alert').textContent()).not.toContain('Conflict');
      expect(await seriousViolations(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);

    it('when a new product takes an existing SKU, then SKU_TAKEN is shown on the SKU field', async () => {
      const existing = await make.product({ stock: 1 });
      const { context, page, pageErrors } = await suite.open();
      await logIn(page, { landOn: 'Dashboard' });
      await goTo(page, 'Products');
      await page.getByRole('button', { name: 'New product' }).click();
      const sku = page.getByLabel('SKU');
      await sku.fill(existing.sku.toLowerCase());
      await page.getByLabel('Name', { exact: true }).fill('Duplicate');
      await page.getByLabel('Price').fill('1');
      await page.getByLabel('Stock').fill('1');
      await page.getByRole('button', { name: 'Create product' }).click();
      await page.getByRole('alert').filter({ hasText: 'SKU_TAKEN' }).waitFor();
      expect(await sku.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(page, sku)).toMatch(/already exists/);
      expect(await seriousViolations(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);

    it('when one line of an order asks for more than the stock, then INSUFFICIENT_STOCK is shown on that line with what is available', async () => {
      const customer = await make.customer();
      const plenty = await make.product({ stock: 50, priceCents: 1000 });
      const short = await make.product({ stock: 3, priceCents: 1000 });
      const { context, page, pageErrors } = await suite.open();
      await logIn(page, { landOn: 'Dashboard' });
      await goTo(page, 'New order');
      await chooseByKeyboard(page, 'Customer', customer.name, `${customer.name} — ${customer.email}`);
      for (const [product, qty] of [
        [plenty, 2],
        [short, 5],
      ] as const) {
        await chooseByKeyboard(
          page,
          'Product',
          product.sku,
          `${product.sku} — ${product.name} (10.00, ${product.stock} in stock)`,
        );
        await page.getByLabel('Quantity', { exact: true }).fill(String(qty));
        await page.getByRole('button', { name: 'Add line' }).click();
        await page.getByLabel(`Quantity of ${product.sku}`).waitFor();
      }
      await page.getByRole('button', { name: 'Place order', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'INSUFFICIENT_STOCK' }).waitFor();
      const shortQty = page.getByLabel(`Quantity of ${short.sku}`);
      expect(await shortQty.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(page, shortQty)).toBe('5 requested, 3 available');
      expect(await page.getByLabel(`Quantity of ${plenty.sku}`).getAttribute('aria-invalid')).toBeNull();
      expect(await seriousViolations(page)).toEqual([]);

      // An answer without `errors` (an older Orders API) still says what is short, in its detail.
      await page.route('**/api/orchestrator/**', async (route) => {
        const answer = await route.fetch();
        const problem = (await answer.json()) as Record<string, unknown>;
        delete problem.errors;
        await route.fulfill({ response: answer, json: problem });
      });
      await shortQty.fill('6');
      await page.getByRole('button', { name: 'Place order', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: '6 requested, 3 available' }).waitFor();
      expect(await shortQty.getAttribute('aria-invalid')).toBeNull();
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);
  });

  describe('an order line’s quantity', () => {
    it('when a quantity outside the contract’s range is typed, then the field says the contract’s range, no total is shown and nothing is sent', async () => {
      const customer = await make.customer();
      const product = await make.product({ stock: 50, priceCents: 899 });
      const { context, page, pageErrors } = await suite.open();
      await logIn(page, { landOn: 'Dashboard' });
      await goTo(page, 'New order');
      const placing: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/orchestrator/')) placing.push(request.url());
      });
      const rule = FIELD_HINTS.orchestrator['POST /orchestrator/create-and-confirm-order']['items.*.qty'];
      await chooseByKeyboard(page, 'Customer', customer.name, `${customer.name} — ${customer.email}`);
      await chooseByKeyboard(
        page,
        'Product',
        product.sku,
        `${product.sku} — ${product.name} (8.99, ${product.stock} in stock)`,
      );
      const toAdd = page.getByLabel('Quantity', { exact: true });
      await toAdd.fill('99999999');
      await page.locator('.field-error').filter({ hasText: rule }).waitFor();
      expect(await descriptionOf(page, toAdd)).toContain(rule);
      await page.getByRole('button', { name: 'Add line' }).click();
      expect(await page.getByLabel(`Quantity of ${product.sku}`).count()).toBe(0);

      await toAdd.fill('2');
      await page.getByRole('button', { name: 'Add line' }).click();
      const lineQty = page.getByLabel(`Quantity of ${product.sku}`);
      await lineQty.waitFor();
      expect(await page.getByTestId('order-total').textContent()).toBe('17.98');
      await lineQty.fill('99999999');
      expect(await page.getByTestId('order-total').textContent()).toBe('—');
      expect(await lineQty.getAttribute('aria-invalid')).toBe('true');
      expect(await descriptionOf(page, lineQty)).toBe(rule);
      await page.getByRole('button', { name: 'Place order', exact: true }).click();
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      expect(placing).toEqual([]);

      await lineQty.fill('1000');
      expect(await page.getByTestId('order-total').textContent()).toBe('8,990.00');
      expect(await lineQty.getAttribute('aria-invalid')).toBeNull();
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);
  });

  describe('a phone’s screen and unknown addresses', () => {
    it('when the console is 390 px wide, then no screen scrolls sideways and the screens of this work have no serious accessibility findings', async () => {
      const customer = await make.customer(`Narrow Screen Industrial Supplies With A Long Name ${run}`, {
        email: `narrow-screen-industrial-supplies-with-a-long-name-${run}@console-usability.example`,
      });
      const product = await make.product({ stock: 4, sku: `NARROW-${run}-WITH-A-LONG-SKU` });
      const order = await make.order(customer.id, product.id);
      const { data: endpoint } = await make.api.orders.POST('/webhook-endpoints', {
        body: { url: 'http://127.0.0.1:9/narrow-screen-hook', event_types: ['order.created'] },
      });
      const { context, page, pageErrors } = await suite.open('', { viewport: PHONE });
      expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
      expect(await seriousViolations(page)).toEqual([]);
      await logIn(page, { landOn: 'Dashboard' });

      const screens: { hash: string; heading: string | RegExp; isOurs: boolean }[] = [
        { hash: '#/dashboard', heading: 'Dashboard', isOurs: false },
        { hash: '#/orders', heading: 'Orders', isOurs: false },
        { hash: `#/orders/${order.id}`, heading: new RegExp(`^Order #${order.id}`), isOurs: false },
        { hash: '#/new-order', heading: 'New order', isOurs: true },
        { hash: '#/customers', heading: 'Customers', isOurs: true },
        { hash: `#/customers/${customer.id}`, heading: customer.name, isOurs: false },
        { hash: '#/products', heading: 'Products', isOurs: true },
        { hash: '#/products?stock_below=10', heading: 'Products', isOurs: true },
        { hash: '#/products?stock_below=0', heading: 'Products', isOurs: true },
        { hash: '#/orders?customer_id=abc', heading: 'Orders', isOurs: true },
        { hash: '#/webhooks', heading: 'Webhooks', isOurs: false },
        { hash: `#/webhooks/${endpoint!.id}`, heading: `Webhook endpoint #${endpoint!.id}`, isOurs: false },
        { hash: '#/no/such/page', heading: 'Page not found', isOurs: true },
      ];
      const wide: string[] = [];
      const findings: unknown[] = [];
      for (const screen of screens) {
        await goToHash(page, screen.hash);
        await page.getByRole('heading', { level: 1, name: screen.heading }).waitFor();
        // Measured once the screen has its data: no "Loading…" left.
        await page
          .getByText(/^Loading/)
          .first()
          .waitFor({ state: 'hidden' });
        if ((await pageWidth(page)) > PHONE.width)
          wide.push(`${screen.hash}: ${await pageWidth(page)} px (${await overflowing(page)})`);
        if (screen.isOurs)
          findings.push(
            ...(await seriousViolations(page)).map((found) => ({ ...found, screen: screen.hash })),
          );
      }
      // The orders table is wider than the phone: it scrolls in its box, and shows it does.
      await goToHash(page, '#/orders');
      await page.locator('tbody tr').first().waitFor();
      expect(await scrollCue(page, 'table')).toEqual({ scrolls: true, shaded: true });

      // The forms and the pickers' open list, too.
      await goToHash(page, '#/customers');
      await page.getByRole('button', { name: 'New customer' }).click();
      await page.getByRole('button', { name: 'Create customer' }).click();
      await page.getByRole('alert').waitFor();
      if ((await pageWidth(page)) > PHONE.width) wide.push(`customer form: ${await pageWidth(page)} px`);
      findings.push(...(await seriousViolations(page)));
      await goToHash(page, '#/new-order');
      const productBox = page.getByRole('combobox', { name: 'Product', exact: true });
      await productBox.focus();
      await productBox.pressSequentially(product.sku);
      await page.getByRole('listbox', { name: 'Product' }).getByRole('option').first().waitFor();
      if ((await pageWidth(page)) > PHONE.width) wide.push(`product picker: ${await pageWidth(page)} px`);
      findings.push(...(await seriousViolations(page)));

      expect(wide).toEqual([]);
      expect(findings).toEqual([]);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 90_000);

    it('when the address names no screen, then the not-found page shows the path and leads to the dashboard and the orders', async () => {
      const { context, page, pageErrors } = await suite.open('/#/ordres/12');
      await logIn(page, { landOn: 'Page not found' });
      await page.getByText('/ordres/12', { exact: true }).waitFor();
      expect(await page.title()).toMatch(/Operator console/);
      const icon = await page.locator('link[rel="icon"]').getAttribute('href');
      expect(
        (await page.request.get(new URL(icon!, suite.current.served.url).href)).headers()['content-type'],
      ).toMatch(/image\/svg\+xml/);
      await page.getByRole('main').getByRole('link', { name: 'See the orders' }).click();
      await page.getByRole('heading', { level: 1, name: 'Orders', exact: true }).waitFor();
      await page.goBack();
      await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
      await page.getByRole('main').getByRole('link', { name: 'Go to the dashboard' }).click();
      await page.getByRole('heading', { level: 1, name: 'Dashboard', exact: true }).waitFor();
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 60_000);
  });
});

/** How wide the page is, scrolled sideways included. */
function pageWidth(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth');
}

/** What sticks out past the right edge of the viewport: the first few elements, for the failure message. */
function overflowing(page: Page): Promise<string> {
  return page.evaluate<string>(`[...document.querySelectorAll('body *')]
    .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 5)
    .map((element) => element.tagName.toLowerCase() + (element.className ? '.' + String(element.className).replaceAll(' ', '.') : ''))
    .join(', ')`);
}

/**
 * Whether the element scrolls sideways and is drawn with scroll shadows (a gradient layer
 * attached to its box, `scroll`, beside one that moves with its content, `local`).
 */
function scrollCue(page: Page, selector: string): Promise<{ scrolls: boolean; shaded: boolean }> {
  return page.evaluate<{ scrolls: boolean; shaded: boolean }>(`(() => {
    const element = document.querySelector(${JSON.stringify(selector)});
    const style = getComputedStyle(element);
    const attachments = style.backgroundAttachment.split(',').map((value) => value.trim());
    return {
      scrolls: element.scrollWidth > element.clientWidth,
      shaded:
        style.backgroundImage.includes('linear-gradient') &&
        attachments.includes('local') &&
        attachments.includes('scroll'),
    };
  })()`);
}

/** Opens a screen by its address, as a link or a typed address would. */
async function goToHash(page: Page, hash: string): Promise<void> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
}
