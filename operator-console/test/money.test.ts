import { describe, expect, it } from 'vitest';
import { centsToAmountInput, formatCents, parseAmountToCents, parseWholeNumber } from '../src/money';

describe('formatCents', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [1450, '14.50'],
    [145000, '1,450.00'],
    [100000000, '1,000,000.00'],
    [-1450, '-14.50'],
  ])('when given %d cents, then it shows %s', (cents, shown) => {
    expect(formatCents(cents)).toBe(shown);
  });

  it('when given the largest total the contract allows, then every digit is exact', () => {
    // As a float, 9007199254740991 / 100 would round the cents away.
    expect(formatCents(Number.MAX_SAFE_INTEGER)).toBe('90,071,992,547,409.91');
  });
});

describe('parseAmountToCents', () => {
  it.each([
    ['14.50', 1450],
    ['14.5', 1450],
    ['14', 1400],
    [' 0.07 ', 7],
    ['1000000.00', 100000000],
  ])('when an operator types "%s", then it is %d cents', (text, cents) => {
    expect(parseAmountToCents(text)).toBe(cents);
  });

  it.each(['', '14.505', '1,450.00', '-1', '1e3', 'abc', '14.'])(
    'when an operator types "%s", then it is refused',
    (text) => {
      expect(parseAmountToCents(text)).toBeUndefined();
    },
  );

  it('when cents are put in an edit field, then they read back as the same cents', () => {
    for (const cents of [0, 9, 1450, 123456789])
      expect(parseAmountToCents(centsToAmountInput(cents))).toBe(cents);
  });
});

describe('parseWholeNumber', () => {
  it('when given digits, then it is that number, and anything else is refused', () => {
    expect(parseWholeNumber('12')).toBe(12);
    expect(parseWholeNumber(' 3 ')).toBe(3);
    for (const text of ['', '1.5', '-2', '1e2', 'two']) expect(parseWholeNumber(text)).toBeUndefined();
  });
});
