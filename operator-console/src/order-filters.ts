import type { OrderStatus } from './contract-types';
import { startOfDayInstant } from './dates';

export const ORDER_STATUSES: OrderStatus[] = ['CREATED', 'CONFIRMED', 'CANCELED'];

/**
 * The orders list's filters as the route's query carries them
 * (`status=CREATED&from=2026-11-01&to=2026-11-30&customer_id=3`). Dates are calendar days
 * of the operator's time zone (YYYY-MM-DD), both included; '' is "no filter".
 */
export interface OrderFilters {
  status: OrderStatus | '';
  from: string;
  to: string;
  /** A customer id as decimal text, or ''. */
  customerId: string;
}

export const NO_FILTERS: OrderFilters = { status: '', from: '', to: '', customerId: '' };

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[1-9]\d{0,15}$/;

function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const [year, month, day] = text.split('-').map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day;
}

/**
 * The filters of a route query. A value that is not valid (a hand-edited link) is dropped
 * rather than sent, so the list still opens; so is a `from` after `to`.
 */
export function parseOrderFilters(query: string): OrderFilters {
  const params = new URLSearchParams(query);
  const status = ORDER_STATUSES.find((value) => value === params.get('status')) ?? '';
  const date = (name: string) => {
    const value = params.get(name) ?? '';
    return isCalendarDate(value) ? value : '';
  };
  const customerId = params.get('customer_id') ?? '';
  const filters: OrderFilters = {
    status,
    from: date('from'),
    to: date('to'),
    customerId: ID.test(customerId) ? customerId : '',
  };
  return dateRangeError(filters) ? { ...filters, from: '', to: '' } : filters;
}

/** The route query of the filters (empty ones left out), in a fixed order so equal filters give equal links. */
export function orderFiltersQuery(filters: OrderFilters): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  if (filters.from) params.set('from', filters.from);
  if (filters.to) params.set('to', filters.to);
  if (filters.customerId) params.set('customer_id', filters.customerId);
  return params.toString();
}

/** Why the date range cannot be asked for, or undefined when it can. */
export function dateRangeError(filters: Pick<OrderFilters, 'from' | 'to'>): string | undefined {
  // YYYY-MM-DD strings compare as the dates they name.
  return filters.from && filters.to && filters.from > filters.to
    ? 'The "to" date must not be before the "from" date.'
    : undefined;
}

export function hasFilters(filters: OrderFilters): boolean {
  return orderFiltersQuery(filters) !== '';
}

/**
 * The `GET /orders` query of the filters: dates become the instants their days start in
 * the operator's time zone, and `to` the start of the day after (the contract's `to` is
 * exclusive).
 */
export function orderListQuery(filters: OrderFilters) {
  return {
    status: filters.status || undefined,
    customer_id: filters.customerId ? Number(filters.customerId) : undefined,
    from: filters.from ? startOfDayInstant(filters.from) : undefined,
    to: filters.to ? startOfDayInstant(filters.to, 1) : undefined,
  };
}
