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

function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const [year, month, day] = text.split('-').map(Number);
  const date = new Date(Date.UTC(year!, month! - 1, day!));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month! - 1 && date.getUTCDate() === day;
}

/**
 * Whether the text is a customer id as the contract's `Id` allows it (common.yaml: a whole
 * number from 1 to 9,007,199,254,740,991, the largest integer a JSON number holds exactly),
 * written plainly (no sign, no leading zero, no spaces).
 */
export function isCustomerId(text: string): boolean {
  return /^[1-9]\d*$/.test(text) && Number.isSafeInteger(Number(text));
}

/** A value of the address that was not used as a filter: what it was (`customer_id "abc"`) and why. */
export interface IgnoredFilter {
  what: string;
  reason: string;
}

/** The filters a route query asks for, and what of it was ignored (a hand-edited or stale link). */
export interface ReadFilters {
  filters: OrderFilters;
  ignored: IgnoredFilter[];
}

const FILTER_NAMES = new Set(['status', 'from', 'to', 'customer_id']);

/**
 * The filters of a route query. A value that is not valid is ignored rather than sent, so
 * the list still opens, and named in `ignored` so the screen can say so; so are both dates
 * of a `from` after `to`, and a parameter that is no filter of this list. An empty value
 * (`status=`) is no filter, not an error.
 */
export function readOrderFilters(query: string): ReadFilters {
  const params = new URLSearchParams(query);
  const ignored: IgnoredFilter[] = [];
  const quoted = (name: string, value: string) => `${name} ${JSON.stringify(value)}`;
  const read = (name: string, isValid: (value: string) => boolean, reason: string): string => {
    const value = params.get(name) ?? '';
    if (value === '' || isValid(value)) return value;
    ignored.push({ what: quoted(name, value), reason });
    return '';
  };
  const status = read(
    'status',
    (value) => ORDER_STATUSES.some((known) => known === value),
    `not one of ${ORDER_STATUSES.join(', ')}`,
  ) as OrderStatus | '';
  const calendarDate = 'not a calendar date (YYYY-MM-DD)';
  const filters: OrderFilters = {
    status,
    from: read('from', isCalendarDate, calendarDate),
    to: read('to', isCalendarDate, calendarDate),
    customerId: read('customer_id', isCustomerId, 'not a customer id'),
  };
  for (const [name, value] of params) {
    if (!FILTER_NAMES.has(name))
      ignored.push({ what: quoted(name, value), reason: 'not a filter of this list' });
  }
  if (dateRangeError(filters)) {
    ignored.push({
      what: `${quoted('from', filters.from)} and ${quoted('to', filters.to)}`,
      reason: 'the "to" date is before the "from" date',
    });
    return { filters: { ...filters, from: '', to: '' }, ignored };
  }
  return { filters, ignored };
}

/** The filters of a route query, without what was ignored (see readOrderFilters). */
export function parseOrderFilters(query: string): OrderFilters {
  return readOrderFilters(query).filters;
}

/**
 * One sentence naming what the address asked for that is not used and why, e.g.
 * `Ignored from the address: customer_id "abc" (not a customer id).`; '' when nothing was.
 */
export function ignoredNotice(ignored: IgnoredFilter[]): string {
  if (ignored.length === 0) return '';
  return `Ignored from the address: ${ignored.map(({ what, reason }) => `${what} (${reason})`).join('; ')}.`;
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
