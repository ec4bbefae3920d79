import { describe, expect, it } from 'vitest';
import { FIELD_HINTS } from '../../generated/field-hints';
import { fieldErrorsOf, fieldHint, fieldLabel } from '../src/api/problem';
import type { Problem } from '../src/contract-types';

const problem = (overrides: Partial<Problem>): Problem => ({
  type: 'about:blank',
  title: 'Bad Request',
  status: 400,
  detail: 'The request is invalid.',
  code: 'VALIDATION_FAILED',
  ...overrides,
});

describe('field errors in an operator’s words', () => {
  it('when the validator refuses a field, then the field shows what the contract says it must be, never the pattern', () => {
    const refused = problem({
      errors: [{ field: 'body.phone', message: 'must match pattern "^\\+?[0-9 ()-]{3,32}$"' }],
    });
    const errors = fieldErrorsOf(refused, { operation: ['customers', 'POST /customers'] });
    expect(errors).toEqual({ phone: FIELD_HINTS.customers['POST /customers'].phone });
    expect(errors.phone).toMatch(/^3 to 32 characters/);
  });

  it('when a line of an order is refused, then its index is any index of the contract’s items', () => {
    expect(fieldHint(['orchestrator', 'POST /orchestrator/create-and-confirm-order'], 'items.3.qty')).toBe(
      'A whole number from 1 to 1,000',
    );
  });

  it('when a field is missing, then it says so, and a field the contract does not describe loses its schema text', () => {
    const refused = problem({
      errors: [
        { field: 'body.name', message: "must have required property 'name'" },
        { field: 'body.reason', message: 'must match format "date"' },
      ],
    });
    expect(fieldErrorsOf(refused)).toEqual({ name: 'Required.', reason: 'Not in the expected form.' });
  });

  it('when a conflict belongs to a field, then its detail is shown on that field', () => {
    const taken = problem({
      status: 409,
      title: 'Conflict',
      code: 'EMAIL_TAKEN',
      detail: 'A customer with email a@b.example already exists.',
    });
    expect(fieldErrorsOf(taken, { conflicts: { EMAIL_TAKEN: 'email' } })).toEqual({
      email: 'A customer with email a@b.example already exists.',
    });
    expect(fieldErrorsOf(taken, { conflicts: { SKU_TAKEN: 'sku' } })).toEqual({});
  });

  it('when the stock is short, then each short line keeps the API’s own message', () => {
    const short = problem({
      status: 409,
      code: 'INSUFFICIENT_STOCK',
      errors: [{ field: 'body.items.1.qty', message: '20 requested, 15 available' }],
    });
    expect(fieldErrorsOf(short)).toEqual({ 'items.1.qty': '20 requested, 15 available' });
  });

  it('when an error has no field on screen, then it is named as an operator names the field', () => {
    expect(fieldLabel('body.items.1.qty')).toBe('Line 2 quantity');
    expect(fieldLabel('body.price_cents')).toBe('Price');
    expect(fieldLabel('query.time_zone')).toBe('Time zone');
  });
});
