import Papa from 'papaparse';
import type { Order } from './contract-types';
import { centsToAmountInput } from './money';

// The orders export. Papa Parse's `unparse` writes RFC 4180 (CRLF between records, every
// field holding `,` `"` CR or LF quoted, quotes doubled) and, with `escapeFormulae`, prefixes
// a text cell starting with = + - @ tab or CR with a single quote (OWASP's CSV injection
// advice), so a customer named `=HYPERLINK(…)` stays text in a spreadsheet. Numbers are
// passed as numbers and so never prefixed.

/** The export's columns, in order: its header row. */
export const ORDER_CSV_COLUMNS = [
  'id',
  'created_at',
  'status',
  'customer_id',
  'customer_name',
  'customer_email',
  'total_cents',
  'total',
  'items',
  'confirmed_at',
  'canceled_at',
] as const;

/** One order as a row of ORDER_CSV_COLUMNS; `total` is the decimal amount ("1234.50"), `items` the number of lines. */
export function orderCsvRow(order: Order): (string | number)[] {
  return [
    order.id,
    order.created_at,
    order.status,
    order.customer_id,
    order.customer.name,
    order.customer.email,
    order.total_cents,
    centsToAmountInput(order.total_cents),
    order.items.length,
    order.confirmed_at ?? '',
    order.canceled_at ?? '',
  ];
}

/**
 * A page of orders as CSV records, each ending in CRLF, so pages can be appended one after
 * the other into one file; `withHeader` puts the header row first (for the first page).
 * An empty page without header is ''.
 */
export function ordersToCsv(orders: Order[], { withHeader }: { withHeader: boolean }): string {
  const rows = orders.map(orderCsvRow);
  if (withHeader) rows.unshift([...ORDER_CSV_COLUMNS]);
  if (rows.length === 0) return '';
  return `${Papa.unparse(rows, { newline: '\r\n', escapeFormulae: true })}\r\n`;
}
