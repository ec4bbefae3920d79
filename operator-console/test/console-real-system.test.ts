import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { formatCents } from '../src/money';
import { FIELD_HINTS } from '../../generated/field-hints';
import { CHROMIUM_PATH, descriptionOf, goTo, hasChromium, logIn } from './support/browser';
import { chooseByKeyboard } from './support/combobox';
import { bundledSources } from './support/console-server';
import { apiClients, dataFactory, useConsoleOnRealSystem } from './support/console-suite';

/**
 * The console as operators use it: the production build served by `vite preview`, its proxy
 * pointed at the real system (both APIs and the orchestrator under serverless-offline, on a
 * fresh database), driven in headless Chromium.
 */
if (!hasChromium)
  console.warn(
    `Skipping the operator console's browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium).`,
  );

describe.skipIf(!hasChromium)('the operator console against the real system', () => {
  const run = Date.now().toString(36);
  const suite = useConsoleOnRealSystem();
  const make = dataFactory(suite, run);

  async function stockOf(productId: number) {
    const { data } = await apiClients(suite.current.system).orders.GET('/products/{id}', {
      params: { path: { id: productId } },
    });
    return data?.stock;
  }

  async function search(page: Page, label: string, text: string) {
    await page.getByLabel(label).fill(text);
    await page.getByLabel(label).press('Enter');
  }

  /** The stock the Products screen shows for a sku. */
  async function shownStock(page: Page, sku: string) {
    await goTo(page, 'Products');
    await search(page, 'Search products', sku);
    const row = page.getByRole('row').filter({ hasText: sku });
    await row.waitFor();
    return row.getByRole('cell').nth(3).textContent();
  }

  async function chooseForOrder(
    page: Page,
    customer: { name: string; email: string },
    sku: string,
    label: string,
    qty: number,
  ) {
    await goTo(page, 'New order');
    await chooseByKeyboard(page, 'Customer', customer.name, `${customer.name} — ${customer.email}`);
    await chooseByKeyboard(page, 'Product', sku, label);
    await page.getByLabel('Quantity', { exact: true }).fill(String(qty));
    await page.getByRole('button', { name: 'Add line' }).click();
  }

  it('when the console is built, then it reaches the APIs only through its own origin, with no Node transport inside', async () => {
    const sources = await bundledSources(suite.current.outDir);
    expect(sources.some((source) => source.includes('openapi-fetch'))).toBe(true);
    expect(sources.filter((source) => /undici|contracts\/src\/client/.test(source))).toEqual([]);
  });

  it('when an operator creates a customer and a product and places an order through the orchestrator, then canceling it gives the stock back', async () => {
    const { context, page, pageErrors } = await suite.open();
    await logIn(page);
    const customer = { name: `Wayne Enterprises ${run}`, email: `wayne-${run}@console-tests.example` };
    const sku = `PAL-${run}`.toUpperCase();

    await goTo(page, 'Customers');
    await page.getByRole('button', { name: 'New customer' }).click();
    await page.getByLabel('Name', { exact: true }).fill(customer.name);
    await page.getByLabel('Email', { exact: true }).fill(customer.email);
    await page.getByLabel('Phone (optional)').fill('+1 212 555 0142');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Customer ${customer.name} created.` })
      .waitFor();
    await page.getByRole('row').filter({ hasText: customer.email }).waitFor();

    await goTo(page, 'Products');
    await page.getByRole('button', { name: 'New product' }).click();
    await page.getByLabel('SKU').fill(sku);
    await page.getByLabel('Name', { exact: true }).fill('Euro pallet, console test');
    await page.getByLabel('Price').fill('14.50');
    await page.getByLabel('Stock').fill('40');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Product ${sku} created.` })
      .waitFor();

    // Edit the price and the stock.
    await page.getByRole('button', { name: `Edit ${sku}` }).click();
    await page.getByLabel('Price').fill('15');
    await page.getByLabel('Stock').fill('50');
    await page.getByRole('button', { name: 'Save product' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Product ${sku} saved.` })
      .waitFor();
    const productRow = page.getByRole('row').filter({ hasText: sku });
    expect(await productRow.getByRole('cell').allTextContents()).toEqual([
      sku,
      'Euro pallet, console test',
      '15.00',
      '50',
      'Edit',
    ]);

    await chooseForOrder(page, customer, sku, `${sku} — Euro pallet, console test (15.00, 50 in stock)`, 3);
    expect(await page.getByTestId('order-total').textContent()).toBe('45.00');
    // The total follows the quantities as they are typed.
    await page.getByLabel(`Quantity of ${sku}`).fill('4');
    await page.getByTestId('order-total').filter({ hasText: '60.00' }).waitFor();
    await page.getByRole('button', { name: 'Place order' }).click();
    const placed = page.getByText(/Order #\d+ placed and confirmed/);
    const orderId = Number(/#(\d+)/.exec((await placed.textContent()) ?? '')?.[1]);
    expect(
      await page.getByRole('status').filter({ hasText: 'placed and confirmed' }).textContent(),
    ).toContain(`for ${customer.name}: total 60.00.`);
    expect(await shownStock(page, sku)).toBe('46');

    await goTo(page, 'Orders');
    await page.getByRole('link', { name: `#${orderId}`, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Order #${orderId} CONFIRMED` }).waitFor();
    expect(await page.getByRole('button', { name: 'Confirm order' }).isDisabled()).toBe(true);
    expect(await page.getByText(/Can be canceled until/).count()).toBe(1);
    await page.getByRole('button', { name: 'Cancel order' }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel order #${orderId}?` });
    await dialog.getByLabel('Reason (optional)').fill('Wrong pallet size');
    await dialog.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('heading', { level: 1, name: `Order #${orderId} CANCELED` }).waitFor();
    await page.getByText('by client: “Wrong pallet size”').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel order' }).isDisabled()).toBe(true);

    expect(await shownStock(page, sku)).toBe('50');
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('when another client created an order, then the operator finds it by status, confirms it, cancels it and the stock comes back', async () => {
    const customer = await make.customer();
    const product = await make.product({ stock: 30 });
    const order = await make.order(customer.id, product.id, { qty: 5 });
    expect(order.status).toBe('CREATED');
    expect(await stockOf(product.id)).toBe(25);

    const { context, page, pageErrors } = await suite.open();
    await logIn(page);
    await page.getByRole('link', { name: 'Orders', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Orders' }).waitFor();
    // A filter applies as soon as it changes (no Apply button).
    await page.getByLabel('Status').selectOption('CREATED');
    await page.getByRole('link', { name: `#${order.id}`, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Order #${order.id} CREATED` }).waitFor();
    await page.getByText(`${customer.name} (${customer.email})`).waitFor();
    expect(await page.getByRole('cell', { name: formatCents(5 * 1250) }).count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Confirm order' }).click();
    await page.getByRole('heading', { level: 1, name: `Order #${order.id} CONFIRMED` }).waitFor();
    expect(await page.getByRole('button', { name: 'Confirm order' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Cancel order' }).isEnabled()).toBe(true);

    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('heading', { level: 1, name: `Order #${order.id} CANCELED` }).waitFor();
    expect(await page.getByText('Already canceled.').count()).toBe(1);
    expect(await stockOf(product.id)).toBe(30);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('when the answer to placing an order is lost, then placing it again resends the same idempotency key and the order is placed once', async () => {
    const customer = await make.customer();
    const product = await make.product({ stock: 20 });
    const { context, page, pageErrors } = await suite.open();
    await logIn(page);
    await chooseForOrder(
      page,
      customer,
      product.sku,
      `${product.sku} — ${product.name} (12.50, 20 in stock)`,
      2,
    );

    // The first call reaches the orchestrator, which places the order, but its answer never
    // comes back to the browser (the connection is reset); later calls pass untouched.
    const keys: string[] = [];
    let firstAnswer: { data: { order: { id: number } } } | undefined;
    await page.route('**/api/orchestrator/**', async (route) => {
      keys.push((route.request().postDataJSON() as { idempotency_key: string }).idempotency_key);
      if (keys.length > 1) return route.continue();
      firstAnswer = (await (await route.fetch()).json()) as typeof firstAnswer;
      await route.abort('connectionreset');
    });
    await page.getByRole('button', { name: 'Place order' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'No answer' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(`resends request key ${keys[0]}`);
    expect(await stockOf(product.id)).toBe(18);

    await page.getByRole('button', { name: 'Place order again' }).click();
    await page.getByText(`Order #${firstAnswer!.data.order.id} placed and confirmed`).waitFor();
    expect(keys).toEqual([keys[0], keys[0]]);
    expect(await stockOf(product.id)).toBe(18);

    // Another order is another request: a new key.
    await page.getByLabel('Quantity', { exact: true }).fill('1');
    await page.getByRole('button', { name: 'Add line' }).click();
    await page.getByRole('button', { name: 'Place order' }).click();
    await page
      .getByText(/placed and confirmed/)
      .filter({ hasNotText: `#${firstAnswer!.data.order.id} ` })
      .waitFor();
    expect(keys).toHaveLength(3);
    expect(keys[2]).not.toBe(keys[0]);
    expect(await stockOf(product.id)).toBe(17);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('when the stock does not cover the order, then INSUFFICIENT_STOCK is not offered as "Place order again", and the changed order is a new request', async () => {
    const customer = await make.customer();
    const product = await make.product({ stock: 3 });
    const { context, page, pageErrors } = await suite.open();
    await logIn(page);
    await chooseForOrder(
      page,
      customer,
      product.sku,
      `${product.sku} — ${product.name} (12.50, 3 in stock)`,
      5,
    );
    const keys: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/orchestrator/') && request.method() === 'POST')
        keys.push((request.postDataJSON() as { idempotency_key: string }).idempotency_key);
    });

    await page.getByRole('button', { name: 'Place order', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'INSUFFICIENT_STOCK' }).waitFor();
    expect(await page.getByRole('button', { name: 'Place order again' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Place order', exact: true }).isEnabled()).toBe(true);
    expect(await stockOf(product.id)).toBe(3);

    await page.getByLabel(`Quantity of ${product.sku}`).fill('3');
    await page.getByRole('button', { name: 'Place order', exact: true }).click();
    await page.getByText(/placed and confirmed/).waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
    expect(await stockOf(product.id)).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it("when the API refuses input, then field errors sit next to their fields in the contract's words and the problem shows its code and correlation id", async () => {
    const existing = await make.customer();
    const { context, page, pageErrors } = await suite.open();
    await logIn(page);
    await goTo(page, 'Customers');
    await page.getByRole('button', { name: 'New customer' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Bad Email Ltd');
    const email = page.getByLabel('Email', { exact: true });
    await email.fill('not-an-email');
    await page.getByRole('button', { name: 'Create customer' }).click();
    // Not the validator's "must match format" but what the contract says the field is.
    const emailRule = FIELD_HINTS.customers['POST /customers'].email;
    await page.getByText(emailRule).waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    // The message is the field's accessible description (aria-describedby), not just nearby text.
    expect(await descriptionOf(page, email)).toContain(emailRule);

    await email.fill(existing.email.toUpperCase());
    const [answer] = await Promise.all([
      page.waitForResponse(
        (response) =>
          response.url().endsWith('/api/customers/customers') && response.request().method() === 'POST',
      ),
      page.getByRole('button', { name: 'Create customer' }).click(),
    ]);
    expect(answer.status()).toBe(409);
    const alert = page.getByRole('alert').filter({ hasText: 'EMAIL_TAKEN' });
    await alert.waitFor();
    expect(await alert.textContent()).not.toContain('Conflict');
    // The conflict sits on the email field.
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-invalid').filter({ has: email }).textContent()).toMatch(
      /already exists/,
    );
    expect(await page.getByTestId('correlation-id').textContent()).toBe(answer.headers()['x-correlation-id']);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('when customers are searched, then "Load more" pages through them, and a customer can be edited and deleted after confirming', async () => {
    const prefix = `Paging ${run}`;
    for (let index = 1; index <= 25; index += 1)
      await make.customer(`${prefix} ${String(index).padStart(2, '0')}`);
    const decoy = await make.customer(`Decoy ${run}`);
    const { context, page, pageErrors } = await suite.open();
    await logIn(page);
    await goTo(page, 'Customers');
    await page.getByRole('row').filter({ hasText: decoy.name }).waitFor();

    await search(page, 'Search customers', prefix);
    await page.getByRole('row').filter({ hasText: decoy.name }).waitFor({ state: 'detached' });
    const rows = page.locator('tbody tr');
    await rows.nth(19).waitFor();
    expect(await rows.count()).toBe(20);
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(24).waitFor();
    expect(await rows.count()).toBe(25);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    const newest = `${prefix} 25`;
    await page.getByRole('button', { name: `Edit ${newest}` }).click();
    await page.getByLabel('Phone (optional)').fill('+44 20 7946 0000');
    await page.getByRole('button', { name: 'Save customer' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Customer ${newest} saved.` })
      .waitFor();
    await page.getByRole('row').filter({ hasText: newest }).filter({ hasText: '+44 20 7946 0000' }).waitFor();

    // Keeping it first, then deleting it.
    await page.getByRole('button', { name: `Delete ${newest}` }).click();
    await page
      .getByRole('dialog', { name: `Delete ${newest}?` })
      .getByRole('button', { name: 'Keep it' })
      .click();
    expect(await page.getByRole('row').filter({ hasText: newest }).count()).toBe(1);
    await page.getByRole('button', { name: `Delete ${newest}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete customer' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Customer ${newest} deleted.` })
      .waitFor();
    expect(await page.getByRole('row').filter({ hasText: newest }).count()).toBe(0);
    await search(page, 'Search customers', newest);
    await page.getByText(`No customers match “${newest}”.`).waitFor();
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('when the token expires or is refused, then the operator is back at log-in with the reason, and logging out forgets the token', async () => {
    const { context, page, pageErrors } = await suite.open('', { fakeClock: {} });
    await logIn(page);
    // TEST_AUTH issues tokens for an hour.
    await page.clock.fastForward(3_600_000 + 1_000);
    await page.getByText(/Your session expired at/).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);

    await logIn(page);
    // A token the APIs refuse (as after JWT_SECRET is rotated).
    await page.evaluate(`{
      const key = 'b2b-operator-console.session';
      sessionStorage.setItem(key, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(key)), token: 'not-a-token' }));
    }`);
    await page.getByRole('link', { name: 'Customers', exact: true }).click();
    await page
      .getByText('Your session has ended (the token expired or was refused). Log in again.')
      .waitFor();
    // Logging in again leads back to the screen the operator was on.
    await logIn(page, { landOn: 'Customers' });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You have logged out.').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('when an operator uses only the keyboard, then they can log in and move between screens, and focus is always visible', async () => {
    const { context, page, pageErrors } = await suite.open();
    // The username field has focus once the log-in screen has rendered (autofocus): typing
    // before that would go nowhere.
    await page.waitForFunction("document.activeElement?.getAttribute('autocomplete') === 'username'");
    await page.keyboard.type('operator');
    await page.keyboard.press('Tab');
    await page.keyboard.type('operator-dev-password');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();

    const focused = async () => {
      const element = page.locator(':focus');
      return {
        text: await element.textContent(),
        outline: await element.evaluate((node) => {
          const style = node.ownerDocument.defaultView!.getComputedStyle(node);
          return `${style.outlineStyle} ${style.outlineWidth}`;
        }),
      };
    };
    // The screen's heading has focus after log-in; the main navigation is just before it.
    await page.locator('h1:focus').waitFor();
    let current = await focused();
    for (let presses = 0; presses < 10 && current.text !== 'Customers'; presses += 1) {
      await page.keyboard.press('Shift+Tab');
      current = await focused();
    }
    expect(current).toEqual({ text: 'Customers', outline: 'solid 3px' });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Customers' }).waitFor();
    // The new screen's heading takes focus, as after a page load.
    await page.locator('h1:focus', { hasText: 'Customers' }).waitFor();
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
