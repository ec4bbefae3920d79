import { describe, expect, it } from 'vitest';
import {
  NO_FILTERS,
  dateRangeError,
  ignoredNotice,
  orderFiltersQuery,
  orderListQuery,
  parseOrderFilters,
  readOrderFilters,
} from '../src/order-filters';

describe('order filters in the route query', () => {
  it('when a link carries every filter, then they are read and written back in the same order', () => {
    const query = 'status=CREATED&from=2026-11-01&to=2026-11-30&customer_id=3';
    const filters = parseOrderFilters(query);
    expect(filters).toEqual({ status: 'CREATED', from: '2026-11-01', to: '2026-11-30', customerId: '3' });
    expect(orderFiltersQuery(filters)).toBe(query);
    expect(
      orderFiltersQuery(parseOrderFilters('customer_id=3&to=2026-11-30&status=CREATED&from=2026-11-01')),
    ).toBe(query);
  });

  it.each([
    ['status=SHIPPED', NO_FILTERS],
    ['from=2026-02-30', NO_FILTERS],
    ['to=yesterday', NO_FILTERS],
    ['customer_id=0', NO_FILTERS],
    ['customer_id=3x', NO_FILTERS],
    ['from=2026-12-01&to=2026-11-01&status=CANCELED', { ...NO_FILTERS, status: 'CANCELED' }],
  ])('when a hand-edited link says %s, then what is not valid is dropped', (query, filters) => {
    expect(parseOrderFilters(query)).toEqual(filters);
  });

  it.each([
    ['customer_id=0', 'customer_id "0" (not a customer id)'],
    ['customer_id=abc', 'customer_id "abc" (not a customer id)'],
    // Past the contract's largest id (2^53 - 1): no JSON number holds it exactly.
    ['customer_id=99999999999999999999', 'customer_id "99999999999999999999" (not a customer id)'],
    ['customer_id=9007199254740992', 'customer_id "9007199254740992" (not a customer id)'],
    ['status=BOGUS', 'status "BOGUS" (not one of CREATED, CONFIRMED, CANCELED)'],
    ['from=2026-02-30', 'from "2026-02-30" (not a calendar date (YYYY-MM-DD))'],
    [
      'from=2026-12-07&to=2026-12-01',
      'from "2026-12-07" and to "2026-12-01" (the "to" date is before the "from" date)',
    ],
    ['sort=total', 'sort "total" (not a filter of this list)'],
  ])('when a link says %s, then the notice names what is ignored and why', (query, named) => {
    const { filters, ignored } = readOrderFilters(query);
    expect(filters).toEqual(NO_FILTERS);
    expect(ignoredNotice(ignored)).toBe(`Ignored from the address: ${named}.`);
  });

  it('when a link mixes good and bad values, then the good ones are kept and only the bad ones named', () => {
    const { filters, ignored } = readOrderFilters('status=CONFIRMED&customer_id=abc&to=2026-12-01');
    expect(filters).toEqual({ ...NO_FILTERS, status: 'CONFIRMED', to: '2026-12-01' });
    expect(ignored).toEqual([{ what: 'customer_id "abc"', reason: 'not a customer id' }]);
  });

  it('when every value is valid or empty, then nothing is ignored and there is no notice', () => {
    expect(readOrderFilters('status=&customer_id=9007199254740991&from=2026-11-01').ignored).toEqual([]);
    expect(parseOrderFilters('customer_id=9007199254740991').customerId).toBe('9007199254740991');
    expect(ignoredNotice([])).toBe('');
  });

  it('when no filter is set, then the query is empty', () => {
    expect(orderFiltersQuery(NO_FILTERS)).toBe('');
  });

  it('when from is after to, then the range is refused; the same day is fine', () => {
    expect(dateRangeError({ from: '2026-11-02', to: '2026-11-01' })).toMatch(/must not be before/);
    expect(dateRangeError({ from: '2026-11-01', to: '2026-11-01' })).toBeUndefined();
    expect(dateRangeError({ from: '2026-11-01', to: '' })).toBeUndefined();
  });

  it('when dates are asked for, then to becomes the start of the next local day (the API treats to as exclusive)', () => {
    const query = orderListQuery({ status: '', from: '2026-11-01', to: '2026-11-30', customerId: '12' });
    expect(query.customer_id).toBe(12);
    expect(query.status).toBeUndefined();
    expect(new Date(query.from!).getTime()).toBe(new Date(2026, 10, 1).getTime());
    expect(new Date(query.to!).getTime()).toBe(new Date(2026, 11, 1).getTime());
  });
});
