// Money is integer cents everywhere (the contracts' rule); these are the only places where
// it becomes text and back.

const wholeUnits = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * The one way the console shows money: integer cents as an amount with two decimals and
 * thousands separators (145000 → "1,450.00"). The contracts name no currency, so none is
 * shown. Integer arithmetic only, so every total the contract allows (up to 2^53 − 1 cents)
 * is shown exactly; `cents / 100` as a float would not be.
 */
export function formatCents(cents: number): string {
  const magnitude = Math.abs(cents);
  const rest = magnitude % 100;
  const whole = (magnitude - rest) / 100;
  return `${cents < 0 ? '-' : ''}${wholeUnits.format(whole)}.${String(rest).padStart(2, '0')}`;
}

/**
 * Reads an amount an operator typed ("14.5", "14.50", "1450") as cents, or undefined when it
 * is not a plain decimal amount with at most two decimals. No thousands separators: "1,450"
 * would be ambiguous.
 */
export function parseAmountToCents(text: string): number | undefined {
  const match = /^\s*(\d{1,12})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** Cents as an editable amount ("14.50"): what parseAmountToCents reads back. */
export function centsToAmountInput(cents: number): string {
  return formatCents(cents).replaceAll(',', '');
}

/** A whole number an operator typed (quantities, stock), or undefined. */
export function parseWholeNumber(text: string): number | undefined {
  return /^\s*\d{1,9}\s*$/.test(text) ? Number(text) : undefined;
}
