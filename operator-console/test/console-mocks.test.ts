import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Customer, Order, PlacedOrder, Product } from '../src/contract-types';
import { formatCents } from '../src/money';
import { canConfirm } from '../src/order-rules';
import { CHROMIUM_PATH, goTo, hasChromium, logIn } from './support/browser';
import { chooseByKeyboard } from './support/combobox';
import { useConsoleOnMocks } from './support/console-suite';
import { exampleAnswer } from './support/contract-examples';

/**
 * What the contracts promise front-end teams: the same console build works against the
 * Prism mocks of `npm run mock`, with nothing changed but where its server forwards /api.
 * Prism also validates every request the console sends against the contract. The mocks
 * hold no state and answer with the contracts' examples, so each step expects those.
 */
if (!hasChromium)
  console.warn(
    `Skipping the operator console's browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium).`,
  );

const examples = {
  customers: exampleAnswer<{ data: Customer[] }>('customers', '/customers', 'get', 200).data,
  createdCustomer: exampleAnswer<Customer>('customers', '/customers', 'post', 201),
  products: exampleAnswer<{ data: Product[] }>('orders', '/products', 'get', 200).data,
  createdProduct: exampleAnswer<Product>('orders', '/products', 'post', 201),
  updatedProduct: exampleAnswer<Product>('orders', '/products/{id}', 'patch', 200),
  placed: exampleAnswer<PlacedOrder>('orchestrator', '/orchestrator/create-and-confirm-order', 'post', 201),
  orders: exampleAnswer<{ data: Order[] }>('orders', '/orders', 'get', 200).data,
  confirmed: exampleAnswer<Order>('orders', '/orders/{id}/confirm', 'post', 200),
  canceled: exampleAnswer<Order>('orders', '/orders/{id}/cancel', 'post', 200),
};

describe.skipIf(!hasChromium)('the operator console against the Prism mocks', () => {
  const suite = useConsoleOnMocks();

  /**
   * On New order, picks the example customer and product (the mocks answer every search with
   * the contract's examples) and adds a line of two.
   */
  async function addExampleLine(page: Page, customer: Customer, product: Product) {
    await goTo(page, 'New order');
    await chooseByKeyboard(page, 'Customer', customer.name, `${customer.name} — ${customer.email}`);
    await chooseByKeyboard(
      page,
      'Product',
      product.sku,
      `${product.sku} — ${product.name} (${formatCents(product.price_cents)}, ${product.stock} in stock)`,
    );
    await page.getByLabel('Quantity', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Add line' }).click();
  }

  it('when the console runs against the mocks, then an operator logs in, creates a customer and a product, places an order and confirms or cancels the listed one', async () => {
    const customer = examples.customers[0]!;
    const product = examples.products[0]!;
    const listed = examples.orders[0]!;
    // The browser's clock stands a minute after the example order was confirmed (or created):
    // within its cancel window, as a front-end team reading the examples would expect.
    const { context, page, pageErrors } = await suite.open('', {
      fakeClock: { time: Date.parse(listed.confirmed_at ?? listed.created_at) + 60_000 },
    });
    await logIn(page, { password: 'any password the mock accepts' });
    await goTo(page, 'Orders');
    await page.getByRole('link', { name: `#${listed.id}`, exact: true }).waitFor();

    await goTo(page, 'Customers');
    await page.getByRole('row').filter({ hasText: customer.email }).waitFor();
    await page.getByRole('button', { name: 'New customer' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Front-end Team Ltd');
    await page.getByLabel('Email', { exact: true }).fill('frontend@team.example');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Customer ${examples.createdCustomer.name} created.` })
      .waitFor();

    await goTo(page, 'Products');
    await page.getByRole('row').filter({ hasText: product.sku }).first().waitFor();
    await page.getByRole('button', { name: 'New product' }).click();
    await page.getByLabel('SKU').fill('FE-1');
    await page.getByLabel('Name', { exact: true }).fill('Front-end pallet');
    await page.getByLabel('Price').fill('16.90');
    await page.getByLabel('Stock').fill('250');
    await page.getByRole('button', { name: 'Create product' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Product ${examples.createdProduct.sku} created.` })
      .waitFor();
    await page
      .getByRole('button', { name: `Edit ${product.sku}` })
      .first()
      .click();
    await page.getByLabel('Price').fill(formatCents(product.price_cents + 100).replaceAll(',', ''));
    await page.getByRole('button', { name: 'Save product' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Product ${examples.updatedProduct.sku} saved.` })
      .waitFor();

    await addExampleLine(page, customer, product);
    expect(await page.getByTestId('order-total').textContent()).toBe(formatCents(2 * product.price_cents));
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByText(`Order #${examples.placed.data.order.id} placed and confirmed`).waitFor();

    await goTo(page, 'Orders');
    await page.getByRole('link', { name: `#${listed.id}`, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Order #${listed.id} ${listed.status}` }).waitFor();
    // Which buttons are enabled follows the example's status; each enabled one is used.
    expect(await page.getByRole('button', { name: 'Confirm order' }).isEnabled()).toBe(canConfirm(listed));
    if (canConfirm(listed)) {
      await page.getByRole('button', { name: 'Confirm order' }).click();
      await page
        .getByRole('heading', { level: 1, name: `Order #${examples.confirmed.id} CONFIRMED` })
        .waitFor();
      await goTo(page, 'Orders');
      await page.getByRole('link', { name: `#${listed.id}`, exact: true }).click();
    }
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('dialog').getByLabel('Reason (optional)').fill('Checked against the mock');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('heading', { level: 1, name: `Order #${examples.canceled.id} CANCELED` }).waitFor();
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);

  it('when placing an order fails, then only an answer a retry can settle keeps the idempotency key; after a definite failure, and after INSUFFICIENT_STOCK, the next attempt is a new request', async () => {
    const customer = examples.customers[0]!;
    const product = examples.products[0]!;
    const { context, page, pageErrors } = await suite.open();
    await logIn(page, { password: 'any password the mock accepts' });
    await addExampleLine(page, customer, product);

    // The answer to each attempt, in turn: a lost answer and a gateway's bare 503 never reach
    // the mock; the others are the contract's examples, chosen with Prism's `Prefer`.
    const answers = [
      'lost',
      'gateway 503',
      'code=504',
      'code=502, example=ORDER_STATE_UNKNOWN',
      'code=409, example=IDEMPOTENCY_KEY_IN_PROGRESS',
      'code=502, example=ORDER_CONFIRMATION_FAILED',
      'code=409, example=INSUFFICIENT_STOCK',
      'code=201',
    ];
    const keys: string[] = [];
    await page.route('**/api/orchestrator/**', async (route) => {
      keys.push((route.request().postDataJSON() as { idempotency_key: string }).idempotency_key);
      const answer = answers[keys.length - 1]!;
      if (answer === 'lost') return route.abort('connectionreset');
      if (answer === 'gateway 503')
        return route.fulfill({ status: 503, contentType: 'text/html', body: '<h1>Service Unavailable</h1>' });
      return route.continue({ headers: { ...route.request().headers(), prefer: answer } });
    });
    const button = (name: 'Place order' | 'Place order again') =>
      page.getByRole('button', { name, exact: true });
    /** Clicks `click`, waits for the problem `code`, and returns the label the button then has. */
    async function attempt(click: 'Place order' | 'Place order again', code: string) {
      await button(click).click();
      await page.getByRole('alert').filter({ hasText: code }).waitFor();
      return (await button('Place order again').count()) > 0 ? 'Place order again' : 'Place order';
    }

    expect(await attempt('Place order', 'NO_ANSWER')).toBe('Place order again');
    expect(await attempt('Place order again', 'UNEXPECTED_RESPONSE')).toBe('Place order again');
    expect(await attempt('Place order again', 'UPSTREAM_TIMEOUT')).toBe('Place order again');
    expect(await attempt('Place order again', 'ORDER_STATE_UNKNOWN')).toBe('Place order again');
    expect(await attempt('Place order again', 'IDEMPOTENCY_KEY_IN_PROGRESS')).toBe('Place order again');
    // Until here every attempt was the first request again; this answer is final for it.
    expect(keys).toEqual(Array.from({ length: 5 }, () => keys[0]));
    expect(await attempt('Place order again', 'ORDER_CONFIRMATION_FAILED')).toBe('Place order');
    await page.getByText('This answer is final: placing the order starts a new request.').waitFor();
    // A new request, which the stock refuses: not offered as "Place order again" either.
    expect(await attempt('Place order', 'INSUFFICIENT_STOCK')).toBe('Place order');
    expect(keys[6]).not.toBe(keys[0]);
    await button('Place order').click();
    await page.getByText(`Order #${examples.placed.data.order.id} placed and confirmed`).waitFor();
    expect(keys).toHaveLength(8);
    expect(new Set(keys.slice(5)).size).toBe(3);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
