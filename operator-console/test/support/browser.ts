import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * The Debian package's Chromium (`apt-get install -y chromium`; .ci/run installs it when it
 * is missing). Playwright's own browser downloads cannot reach the internet here.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM_PATH);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page so far; a test ends by expecting none. */
  pageErrors: string[];
}

/** A fresh browser context (own sessionStorage) on the console, with a bounded wait for every step. */
export async function openConsole(
  browser: Browser,
  url: string,
  options: { fakeClock?: { time?: number }; viewport?: { width: number; height: number } } = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 860 },
    locale: 'en-GB',
  });
  const page = await context.newPage();
  // Playwright's clock: time still flows, but a test can start it at a given instant or jump
  // ahead (token expiry) at once.
  if (options.fakeClock) await page.clock.install(options.fakeClock);
  page.setDefaultTimeout(10_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(url);
  return { context, page, pageErrors };
}

/**
 * Logs in through the log-in screen and waits for the screen the route names (the Dashboard
 * when the operator arrives; the screen they were on after a session ended).
 */
export async function logIn(
  page: Page,
  { username = 'operator', password = 'operator-dev-password', landOn = 'Dashboard' } = {},
): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: landOn, exact: true }).waitFor();
}

/** The screens of the main navigation, by their link text (each screen's heading too). */
export type Screen = 'Dashboard' | 'Orders' | 'New order' | 'Customers' | 'Products' | 'Webhooks';

/** Opens a screen through the main navigation, as an operator clicks it, and waits for its heading. */
export async function goTo(page: Page, screen: Screen): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: screen, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: screen, exact: true }).waitFor();
}

/** The text of everything that describes a control (its aria-describedby), joined by spaces. */
export async function descriptionOf(page: Page, control: Locator): Promise<string> {
  const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  const texts = await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()));
  return texts.join(' ');
}
