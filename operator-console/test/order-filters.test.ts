import { describe, expect, it } from 'vitest';
import {
  NO_FILTERS,
  dateRangeError,
  orderFiltersQuery,
  orderListQuery,
  parseOrderFilters,
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
