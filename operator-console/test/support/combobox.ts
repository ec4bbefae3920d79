import type { Page } from 'playwright-core';

/**
 * Chooses an option of one of the console's type-ahead pickers with the keyboard only, as
 * an operator would: focus the box, type, ArrowDown until the wanted option is the active
 * one (aria-activedescendant), Enter. Waits (bounded by the page's timeout) for the search
 * to list the option; throws when the arrow keys never reach it.
 */
export async function chooseByKeyboard(
  page: Page,
  label: string,
  text: string,
  option: string | RegExp,
): Promise<void> {
  const box = page.getByRole('combobox', { name: label, exact: true });
  await box.focus();
  await box.press('ControlOrMeta+A');
  await box.press('Delete');
  await box.pressSequentially(text);
  const wanted = page
    .getByRole('listbox', { name: label })
    .getByRole('option', { name: option, exact: true });
  await wanted.waitFor();
  const wantedId = await wanted.getAttribute('id');
  const count = await page.getByRole('listbox', { name: label }).getByRole('option').count();
  for (let presses = 0; presses < count; presses += 1) {
    await box.press('ArrowDown');
    if ((await box.getAttribute('aria-activedescendant')) === wantedId) {
      await box.press('Enter');
      await page.waitForFunction(
        (element) => element?.getAttribute('aria-expanded') === 'false',
        await box.elementHandle(),
      );
      return;
    }
  }
  throw new Error(`The arrow keys never reached "${String(option)}" in the ${label} picker`);
}
