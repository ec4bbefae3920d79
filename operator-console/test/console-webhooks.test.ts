import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS_OUTBOX } from '@b2b/orders-api/events';
import { createLogger, createMetricsRegistry, sql, startEventRelay, type EventRelay } from '@b2b/service-kit';
import { CHROMIUM_PATH, goTo, hasChromium, logIn } from './support/browser';
import { apiClients, dataFactory, seriousViolations, useConsoleOnRealSystem } from './support/console-suite';

/**
 * The Webhooks screens and the order's event timeline, against the real system as in
 * console-real-system.test.ts (whose Orders API has the development allow-list,
 * WEBHOOK_ALLOWED_HOSTS 127.0.0.1 and localhost, so an endpoint can point at a loopback
 * receiver this test starts), plus the Orders API's event relay without a broker
 * (EVENTS_PUBLISH=off), driven with runOnce: it numbers the events for GET /events as
 * `npm start`'s relay does. No dispatcher runs: the deliveries a test reads are written with
 * SQL, as the dispatcher writes them.
 */
if (!hasChromium)
  console.warn(
    `Skipping the operator console's browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium).`,
  );

describe.skipIf(!hasChromium)(
  'the operator console’s webhooks and order events against the real system',
  () => {
    const run = Date.now().toString(36);
    const suite = useConsoleOnRealSystem();
    let relay: EventRelay;
    let receiver: Server;
    let receiverUrl: string;

    // After the suite's beforeAll (the system is up); vitest runs afterAll hooks in reverse,
    // so these stop before the system does.
    beforeAll(async () => {
      relay = startEventRelay({
        db: suite.current.system.db,
        outbox: ORDERS_OUTBOX,
        broker: undefined,
        logger: createLogger({ service: 'console-webhooks-tests', level: 'silent' }),
        registry: createMetricsRegistry(),
        retentionHours: 168,
        // The tests drive it with runOnce.
        idleMs: 600_000,
      });
      // A receiver that would accept every delivery (nothing is sent to it without a dispatcher).
      receiver = createServer((_request, response) => response.writeHead(204).end());
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const address = receiver.address();
      receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
    });

    afterAll(async () => {
      await relay?.stop();
      await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
    });

    async function registerThroughConsole(page: Page, description: string) {
      await goTo(page, 'Webhooks');
      await page.getByRole('button', { name: 'New endpoint' }).click();
      await page.getByLabel('URL', { exact: true }).fill(receiverUrl);
      await page.getByLabel('Description (optional)').fill(description);
      await page.getByRole('checkbox', { name: 'order.confirmed' }).check();
      await page.getByRole('checkbox', { name: 'customer.deleted' }).check();
      const [answer] = await Promise.all([
        page.waitForResponse(
          (response) =>
            response.url().endsWith('/api/orders/webhook-endpoints') &&
            response.request().method() === 'POST',
        ),
        page.getByRole('button', { name: 'Register endpoint' }).click(),
      ]);
      expect(answer.status()).toBe(201);
      const created = (await answer.json()) as { id: number; secret: string };
      return created;
    }

    it('when an operator registers an endpoint, then its secret is shown once with a copy button, and never again', async () => {
      const { context, page, pageErrors } = await suite.open();
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: suite.current.served.url,
      });
      await logIn(page);
      const description = `ERP ${run}`;

      // A URL the API refuses: its rule next to the field, with code and correlation id.
      await goTo(page, 'Webhooks');
      await page.getByRole('button', { name: 'New endpoint' }).click();
      await page.getByLabel('URL', { exact: true }).fill('http://169.254.169.254/latest');
      await page.getByRole('checkbox', { name: 'order.created' }).check();
      await page.getByRole('button', { name: 'Register endpoint' }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'INVALID_WEBHOOK_URL' });
      await alert.waitFor();
      expect(await page.getByTestId('correlation-id').textContent()).toMatch(/\S/);
      expect(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Cancel', exact: true }).click();

      const created = await registerThroughConsole(page, description);
      expect(created.secret).toMatch(/^whsec_/);
      const secret = page.getByTestId('webhook-secret');
      expect(await secret.textContent()).toBe(created.secret);
      await page.getByText('you will not see it again').waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Copy the signing secret to the clipboard' }).click();
      await page.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(created.secret);

      const row = page.getByRole('row').filter({ hasText: receiverUrl });
      await row.waitFor();
      expect(await row.textContent()).toContain('order.confirmed, customer.deleted');
      expect(await row.textContent()).toContain('ENABLED');

      await page.getByRole('button', { name: 'I have stored the secret' }).click();
      await secret.waitFor({ state: 'detached' });
      expect(await page.content()).not.toContain(created.secret);
      // Read again from the API: the list never carries it.
      await page.reload();
      await page.getByRole('row').filter({ hasText: description }).waitFor();
      expect(await page.content()).not.toContain(created.secret);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 90_000);

    it('when an endpoint has failed deliveries, then the operator reads them, retries one, disables, rotates and deletes the endpoint', async () => {
      const { context, page, pageErrors } = await suite.open();
      await logIn(page);
      const created = await registerThroughConsole(page, `Deliveries ${run}`);
      await page.getByRole('button', { name: 'I have stored the secret' }).click();
      const { system } = suite.current;

      // Two deliveries as the dispatcher leaves them: one that failed every attempt, one that succeeded.
      const excerpt = `upstream exploded ${'x'.repeat(1_200)}`.slice(0, 1_000);
      const deliver = async (status: 'FAILED' | 'SUCCEEDED', answers: number[]) => {
        const eventId = randomUUID();
        const envelope = {
          specversion: '1.0',
          id: eventId,
          type: 'order.confirmed',
          source: '/b2b/orders-api',
          subject: `orders/${system.fixtures.orderIds[0]}`,
          subjectsequence: 2,
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          correlationid: `console-${run}`,
          data: {},
        };
        await system.db.query(sql`
        INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at)
        VALUES (${created.id}, ${eventId}, 'order.confirmed', ${JSON.stringify(envelope)}, ${status}, ${answers.length}, NULL)`);
        const [{ id }] = (await system.db.query(
          sql`SELECT id FROM webhook_deliveries WHERE endpoint_id = ${created.id} AND event_id = ${eventId}`,
        )) as [{ id: number }];
        for (const [index, code] of answers.entries()) {
          await system.db.query(sql`
          INSERT INTO webhook_attempts (delivery_id, attempt_number, attempted_at, response_status, duration_ms, error, response_excerpt)
          VALUES (${id}, ${index + 1}, NOW(3) - INTERVAL ${answers.length - index} MINUTE, ${code}, ${40 + index}, NULL,
                  ${code >= 300 ? excerpt : 'ok'})`);
        }
        return Number(id);
      };
      const failed = await deliver('FAILED', [500, 503, 500]);
      const succeeded = await deliver('SUCCEEDED', [200]);

      await page.getByRole('link', { name: `#${created.id}`, exact: true }).click();
      await page
        .getByRole('heading', { level: 1, name: `Webhook endpoint #${created.id} ENABLED` })
        .waitFor();
      const deliveryRow = (id: number) =>
        page.getByRole('row').filter({ has: page.getByRole('cell', { name: `#${id}`, exact: true }) });
      const failedRow = deliveryRow(failed);
      await failedRow.waitFor();
      expect(await failedRow.textContent()).toMatch(/FAILED.*3.*HTTP 500.*42 ms/s);
      await failedRow.getByText('Response excerpt (1000 characters)').click();
      await failedRow.getByText(/^upstream exploded x+$/).waitFor();
      expect(await deliveryRow(succeeded).textContent()).toContain('SUCCEEDED');
      expect(await seriousViolations(page)).toEqual([]);

      await page.getByRole('button', { name: `Retry delivery #${failed}` }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Delivery #${failed} (order.confirmed) scheduled for a new attempt now.` })
        .waitFor();
      // Without a dispatcher it waits, due now; with one it may already have succeeded.
      await failedRow.filter({ hasText: /PENDING|SUCCEEDED/ }).waitFor();
      const [stored] = (await system.db.query(
        sql`SELECT status FROM webhook_deliveries WHERE id = ${failed}`,
      )) as [{ status: string }];
      expect(['PENDING', 'SUCCEEDED']).toContain(stored.status);

      await page.getByRole('button', { name: 'Disable endpoint' }).click();
      await page
        .getByRole('heading', { level: 1, name: `Webhook endpoint #${created.id} DISABLED` })
        .waitFor();
      await page.getByRole('button', { name: 'Enable endpoint' }).click();
      await page
        .getByRole('heading', { level: 1, name: `Webhook endpoint #${created.id} ENABLED` })
        .waitFor();

      await page.getByRole('button', { name: 'Rotate secret' }).click();
      await page
        .getByRole('dialog', { name: `Rotate the secret of endpoint #${created.id}?` })
        .getByRole('button', { name: 'Rotate secret' })
        .click();
      const rotated = await page.getByTestId('webhook-secret').textContent();
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(created.secret);
      await page
        .getByText(/The previous secret still signs deliveries alongside the new one until/)
        .waitFor();
      await page.getByRole('button', { name: 'I have stored the secret' }).click();
      expect(await page.content()).not.toContain(rotated);

      await page.getByRole('button', { name: 'Delete endpoint' }).click();
      const dialog = page.getByRole('dialog', { name: `Delete endpoint #${created.id}?` });
      await dialog.getByRole('button', { name: 'Keep it' }).click();
      await page.getByRole('button', { name: 'Delete endpoint' }).click();
      await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Endpoint #${created.id} deleted` })
        .waitFor();
      const { response } = await apiClients(system).orders.GET('/webhook-endpoints/{id}', {
        params: { path: { id: created.id } },
      });
      expect(response.status).toBe(404);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 90_000);

    it('when an order is placed, confirmed and canceled, then its detail shows the three events with their correlation ids and the cancel source', async () => {
      const make = dataFactory(suite, run);
      const customer = await make.customer(`Timeline ${run}`);
      const product = await make.product({ stock: 10, priceCents: 900, sku: `TL-${run}` });
      const order = await make.order(customer.id, product.id, { qty: 2 });
      await drainRelay();

      const { context, page, pageErrors } = await suite.open();
      await logIn(page);
      await page.goto(`${suite.current.served.url}/#/orders/${order.id}`);
      await page.getByRole('heading', { level: 1, name: `Order #${order.id} CREATED` }).waitFor();
      const timeline = page.getByRole('region', { name: 'Events' });
      await timeline.getByRole('listitem').filter({ hasText: 'order.created' }).waitFor();
      await timeline.getByText('1 event.').waitFor();

      const confirmAnswer = page.waitForResponse((response) =>
        response.url().endsWith(`/orders/${order.id}/confirm`),
      );
      await page.getByRole('button', { name: 'Confirm order' }).click();
      const confirmCorrelation = (await confirmAnswer).headers()['x-correlation-id'];
      await page.getByRole('heading', { level: 1, name: `Order #${order.id} CONFIRMED` }).waitFor();
      const cancelAnswer = page.waitForResponse((response) =>
        response.url().endsWith(`/orders/${order.id}/cancel`),
      );
      await page.getByRole('button', { name: 'Cancel order' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel order' }).click();
      const cancelCorrelation = (await cancelAnswer).headers()['x-correlation-id'];
      await page.getByRole('heading', { level: 1, name: `Order #${order.id} CANCELED` }).waitFor();

      // The relay numbers the two new events; the timeline reads them on "Reload events".
      await drainRelay();
      await timeline.getByRole('button', { name: 'Reload events' }).click();
      await timeline.getByText('3 events.').waitFor();
      const entries = await timeline.getByRole('listitem').allTextContents();
      expect(entries.map((entry) => /^order\.\w+/.exec(entry)?.[0])).toEqual([
        'order.created',
        'order.confirmed',
        'order.canceled',
      ]);
      expect(entries[1]).toContain(`Correlation id ${confirmCorrelation}`);
      expect(entries[2]).toContain(`Correlation id ${cancelCorrelation}`);
      expect(entries[2]).toContain('cancel source CLIENT');
      expect(await seriousViolations(page)).toEqual([]);
      expect(pageErrors).toEqual([]);
      await context.close();
    }, 90_000);

    async function drainRelay() {
      for (let numbered = await relay.runOnce(); numbered > 0; numbered = await relay.runOnce()) {
        // Until a cycle finds nothing more to number.
      }
    }
  },
);
