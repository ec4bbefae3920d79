import { describe, expect, it } from 'vitest';
import { formatCents } from '../src/money';
import { CHROMIUM_PATH, hasChromium, logIn } from './support/browser';
import { dataFactory, seriousViolations, useConsoleOnRealSystem } from './support/console-suite';

/**
 * The dashboard against the real system (fresh database): its tiles and its chart's table
 * show what the stats API answers for the orders this test places, and each tile opens the
 * list behind its number.
 */
if (!hasChromium)
  console.warn(`Skipping the console dashboard's browser tests: no Chromium at ${CHROMIUM_PATH}.`);

describe.skipIf(!hasChromium)('the operator console’s dashboard against the real system', () => {
  const run = Date.now().toString(36);
  const suite = useConsoleOnRealSystem();
  const make = dataFactory(suite, run);

  it('when orders are placed, confirmed and canceled today, then the tiles and the chart’s table equal the API’s figures', async () => {
    const customer = await make.customer();
    const product = await make.product({ priceCents: 12_345 });
    await make.product({ stock: 3 });
    await make.product({ stock: 9 });
    await make.order(customer.id, product.id, { qty: 2, then: 'confirm' });
    await make.order(customer.id, product.id, { qty: 1, then: 'confirm' });
    await make.order(customer.id, product.id, { qty: 4, then: 'cancel' });
    await make.order(customer.id, product.id, { qty: 3 });

    const { page, context, pageErrors } = await suite.open();
    await logIn(page, { landOn: 'Dashboard' });
    const timeZone = await page.locator('.time-zone strong').textContent();
    expect(timeZone).toBe(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone));
    const today = await page.evaluate(() => {
      const now = new Date();
      const pad = (value: number) => String(value).padStart(2, '0');
      return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
    });

    // What the API says, for the same days and zone the browser asked for.
    const from = new Date(`${today}T00:00:00Z`);
    from.setUTCDate(from.getUTCDate() - 29);
    const perDay = await make.api.orders.GET('/stats/orders-per-day', {
      params: { query: { from: from.toISOString().slice(0, 10), to: today, time_zone: timeZone! } },
    });
    const backlog = await make.api.orders.GET('/stats/backlog', {
      params: { query: { expiring_within_minutes: 15 } },
    });
    const lowStock = await make.api.orders.GET('/products', {
      params: { query: { stock_below: 10, limit: 100 } },
    });
    const days = perDay.data!.days;
    expect(days).toHaveLength(30);
    const day = days.at(-1)!;
    const lastWeek = days.slice(-7);
    // The fresh database's 8 fixture orders (CREATED, 9.90 each) and this test's 4.
    expect(day.orders).toBe(12);
    expect(day.by_status.CONFIRMED).toEqual({ orders: 2, total_cents: 3 * 12_345 });
    expect(backlog.data!.created).toBe(9);

    const tile = (label: string) =>
      page.getByRole('link', { name: new RegExp(`^${label}`) }).locator('.tile-value');
    const sum = (pick: (entry: (typeof days)[number]) => number) =>
      lastWeek.reduce((total, entry) => total + pick(entry), 0);
    await tile('Orders today').waitFor();
    expect(await tile('Orders today').textContent()).toBe(String(day.orders));
    expect(await tile('Revenue today').textContent()).toBe(formatCents(day.by_status.CONFIRMED.total_cents));
    expect(await tile('Orders, last 7 days').textContent()).toBe(String(sum((entry) => entry.orders)));
    expect(await tile('Revenue, last 7 days').textContent()).toBe(
      formatCents(sum((entry) => entry.by_status.CONFIRMED.total_cents)),
    );
    expect(await tile('Waiting for confirmation').textContent()).toBe(String(backlog.data!.created));
    expect(await page.getByRole('link', { name: /^Waiting for confirmation/ }).textContent()).toContain(
      formatCents(backlog.data!.created_total_cents),
    );
    expect(await tile('Reservations expiring within 15 min').textContent()).toBe(
      String(backlog.data!.expiring),
    );
    expect(lowStock.data!.data.length).toBe(2);
    expect(await tile('Low-stock products').textContent()).toBe('2');

    // The chart's text alternative: one row per day, the same figures.
    await page.getByText('Show the figures as a table').click();
    const rows = page.locator('table.chart-data tbody tr');
    expect(await rows.count()).toBe(30);
    const shown = await rows.evaluateAll((elements) =>
      elements.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent)),
    );
    expect(shown).toEqual(
      days.map((entry) => [
        entry.date,
        String(entry.orders),
        formatCents(entry.by_status.CONFIRMED.total_cents),
      ]),
    );
    expect(await page.locator('.chart-canvas canvas').count()).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);

    // Each tile opens the list behind its number.
    await page.getByRole('link', { name: /^Revenue today/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Orders', exact: true }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/orders?status=CONFIRMED&from=${today}&to=${today}`);
    await page.locator('tbody tr').nth(1).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.goBack();
    await page.getByRole('link', { name: /^Low-stock products/ }).click();
    expect(new URL(page.url()).hash).toBe('#/products?stock_below=10');
    await page.goBack();
    await page.getByRole('link', { name: /^Waiting for confirmation/ }).click();
    expect(new URL(page.url()).hash).toBe('#/orders?status=CREATED');
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
