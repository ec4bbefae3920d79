import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import type { Order } from '../src/contract-types';
import { ORDER_CSV_COLUMNS, ordersToCsv } from '../src/csv';

function buildOrder(overrides: Partial<Order> = {}, customer: Partial<Order['customer']> = {}): Order {
  return {
    id: 7,
    customer_id: 3,
    customer: { id: 3, name: 'Acme Industrial Supply', email: 'buy@acme.example', phone: null, ...customer },
    status: 'CONFIRMED',
    total_cents: 123450,
    items: [
      {
        product_id: 1,
        sku: 'PAL-1',
        name: 'Pallet',
        qty: 2,
        unit_price_cents: 61725,
        subtotal_cents: 123450,
      },
    ],
    created_at: '2026-11-23T09:30:00.000Z',
    updated_at: '2026-11-23T09:31:00.000Z',
    confirmed_at: '2026-11-23T09:31:00.000Z',
    canceled_at: null,
    cancel_source: null,
    cancel_reason: null,
    ...overrides,
  } as Order;
}

/** The cell of the first data row under a column, as a spreadsheet reading RFC 4180 would see it. */
function cellOf(csv: string, column: (typeof ORDER_CSV_COLUMNS)[number]): string {
  const { data, errors } = Papa.parse<string[]>(csv, { newline: '\r\n', skipEmptyLines: true });
  expect(errors).toEqual([]);
  return data[1]![ORDER_CSV_COLUMNS.indexOf(column)]!;
}

describe('ordersToCsv', () => {
  it('when a page is written with its header, then it is the header and one CRLF-ended record per order', () => {
    const csv = ordersToCsv([buildOrder(), buildOrder({ id: 8 })], { withHeader: true });
    expect(csv).toBe(
      'id,created_at,status,customer_id,customer_name,customer_email,total_cents,total,items,confirmed_at,canceled_at\r\n' +
        '7,2026-11-23T09:30:00.000Z,CONFIRMED,3,Acme Industrial Supply,buy@acme.example,123450,1234.50,1,2026-11-23T09:31:00.000Z,\r\n' +
        '8,2026-11-23T09:30:00.000Z,CONFIRMED,3,Acme Industrial Supply,buy@acme.example,123450,1234.50,1,2026-11-23T09:31:00.000Z,\r\n',
    );
  });

  it('when pages are appended, then the next page has no header and an empty page adds nothing', () => {
    expect(ordersToCsv([buildOrder({ id: 9 })], { withHeader: false })).toMatch(/^9,/);
    expect(ordersToCsv([], { withHeader: false })).toBe('');
    expect(ordersToCsv([], { withHeader: true })).toBe(`${ORDER_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('when a name holds a comma, quotes or line breaks, then the field is quoted with its quotes doubled', () => {
    const csv = ordersToCsv([buildOrder({}, { name: 'Smith, "Jones" & Co\r\nLtd' })], { withHeader: true });
    expect(csv).toContain(',"Smith, ""Jones"" & Co\r\nLtd",');
    expect(cellOf(csv, 'customer_name')).toBe('Smith, "Jones" & Co\r\nLtd');
  });

  it.each([
    ['=HYPERLINK("http://x.example")', `"'=HYPERLINK(""http://x.example"")"`],
    ['+1 Corp', `"'+1 Corp"`],
    ['-2 Ltd', `"'-2 Ltd"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['\tTabbed', `"'\tTabbed"`],
    ['\rReturn', `"'\rReturn"`],
  ])(
    'when a customer is named %j, then the cell starts with a single quote and stays text',
    (name, field) => {
      const csv = ordersToCsv([buildOrder({}, { name })], { withHeader: true });
      expect(csv).toContain(`,3,${field},`);
      expect(cellOf(csv, 'customer_name')).toBe(`'${name}`);
    },
  );

  it('when a name only contains a formula character later on, then it is left alone', () => {
    expect(
      cellOf(ordersToCsv([buildOrder({}, { name: 'A=B + C' })], { withHeader: true }), 'customer_name'),
    ).toBe('A=B + C');
  });

  it('when an order is canceled, then canceled_at is filled and the numbers are plain numbers', () => {
    const csv = ordersToCsv(
      [
        buildOrder({
          status: 'CANCELED',
          total_cents: 5,
          confirmed_at: null,
          canceled_at: '2026-11-24T10:00:00.000Z',
        }),
      ],
      { withHeader: true },
    );
    expect(cellOf(csv, 'total')).toBe('0.05');
    expect(cellOf(csv, 'total_cents')).toBe('5');
    expect(cellOf(csv, 'confirmed_at')).toBe('');
    expect(cellOf(csv, 'canceled_at')).toBe('2026-11-24T10:00:00.000Z');
  });
});
