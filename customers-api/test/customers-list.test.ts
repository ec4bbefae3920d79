import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { document } from '@b2b/contracts/customers';
import { DEVELOPMENT_CURSOR_SECRET, sql } from '@b2b/service-kit';
import {
  documentedCursors,
  expectInvalidCursor,
  secondPageCursor,
  type TestResponse,
} from '@b2b/service-kit/testing';
import { createCustomerViaApi, startCustomersApi, useCustomersApi } from './helpers';

const api = useCustomersApi();

/** Percent-encodes every reserved character, including the `!'()*` that encodeURIComponent leaves. */
const encodeQueryValue = (value: string) =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );

const searchPath = (search: string, extra = '') => `/customers?search=${encodeQueryValue(search)}${extra}`;

/** Inserts `count` customers in one statement, named `<marker> <n>`, and returns the marker. */
async function insertManyCustomers(count: number): Promise<string> {
  const marker = `bulk-${randomUUID().slice(0, 8)}`;
  const rows = Array.from(
    { length: count },
    (_, index) => sql`(${`${marker} ${index}`}, ${`${marker}-${index}@example.test`}, NULL)`,
  );
  await api.db.query(sql`INSERT INTO customers (name, email, phone) VALUES ${sql.join(rows, sql`, `)}`);
  return marker;
}

async function walkPages(firstPath: string): Promise<{ ids: number[]; pageSizes: number[] }> {
  const ids: number[] = [];
  const pageSizes: number[] = [];
  let path: string | undefined = firstPath;
  while (path) {
    const response: TestResponse = await api.client.get(path, { token: api.token });
    expect(response.status).toBe(200);
    ids.push(...response.body.data.map((customer: { id: number }) => customer.id));
    pageSizes.push(response.body.data.length);
    const cursor: string | null = response.body.next_cursor;
    path = cursor ? `${firstPath}&cursor=${cursor}` : undefined;
  }
  return { ids, pageSizes };
}

describe('GET /customers pagination', () => {
  it('when 250 customers are walked page by page, then each appears exactly once, newest first', async () => {
    const marker = await insertManyCustomers(250);

    const { ids, pageSizes } = await walkPages(searchPath(marker, '&limit=100'));

    expect(pageSizes).toEqual([100, 100, 50]);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('when no limit is given, then pages hold 20 customers', async () => {
    const marker = await insertManyCustomers(45);

    const { ids, pageSizes } = await walkPages(searchPath(marker));

    expect(pageSizes).toEqual([20, 20, 5]);
    expect(new Set(ids).size).toBe(45);
  });

  it('when the last page is exactly full, then its next_cursor is null', async () => {
    const marker = await insertManyCustomers(10);

    const response = await api.client.get(searchPath(marker, '&limit=10'), { token: api.token });

    expect(response.body.data).toHaveLength(10);
    expect(response.body.next_cursor).toBeNull();
  });

  it('when no search is given, then every active customer is listed', async () => {
    const [{ total }] = await api.db.query(
      sql`SELECT COUNT(*) AS total FROM customers WHERE deleted_at IS NULL`,
    );

    const { ids } = await walkPages('/customers?limit=100');

    expect(ids).toHaveLength(Number(total));
  });

  it.each(['0', '101', 'ten'])('when the limit is %s, then 400 naming query.limit', async (limit) => {
    const response = await api.client.get(`/customers?limit=${limit}`, { token: api.token });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'query.limit' }));
  });

  it.each([
    ['garbage', 'bm90LWpzb24'],
    ['made by hand from a position', Buffer.from('[18]').toString('base64url')],
    ['the example of the contract before cursors were signed', 'eyJpZCI6NDJ9'],
    ['an object instead of a position', Buffer.from('{"id":5}').toString('base64url')],
    ['a negative id', Buffer.from('[-5]').toString('base64url')],
    ['a string id', Buffer.from('["5"]').toString('base64url')],
    ['two positions', Buffer.from('[5,6]').toString('base64url')],
  ])('when the cursor is %s, then 400 INVALID_CURSOR', async (_case, cursor) => {
    const response = await api.client.get(`/customers?cursor=${cursor}`, { token: api.token });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_CURSOR');
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field: 'query.cursor' }));
  });

  it('when the cursor has characters a cursor never has, then 400 VALIDATION_FAILED', async () => {
    const response = await api.client.get(`/customers?cursor=${encodeURIComponent("1' OR '1'='1")}`, {
      token: api.token,
    });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('when an unknown query parameter is sent, then 400', async () => {
    const response = await api.client.get('/customers?sort=name', { token: api.token });

    expect(response.status).toBe(400);
  });
});

describe('GET /customers search', () => {
  it('when searching part of a name or an email in any letter case, then the matching customers are listed', async () => {
    const tag = randomUUID().slice(0, 8);
    const byName = await createCustomerViaApi(api, { name: `Zephyr Tools ${tag}` });
    const byEmail = await createCustomerViaApi(api, { email: `zephyr-${tag}@example.test` });

    const names = await api.client.get(searchPath(`ZEPHYR TOOLS ${tag}`), { token: api.token });
    const both = await api.client.get(searchPath(`zephyr`), { token: api.token });

    expect(names.body.data).toEqual([byName]);
    const ids = both.body.data.map((customer: { id: number }) => customer.id);
    expect(ids).toEqual(expect.arrayContaining([byName.id, byEmail.id]));
  });

  it.each([
    ['a percent sign', '100% '],
    ['an underscore', 'snake_'],
    ['a single quote', "O'Brien"],
    ['a double quote', '"Quoted"'],
    ['a backslash', 'Back\\slash'],
    ['an exclamation mark', 'Wow!'],
  ])('when the search holds %s, then it matches literally', async (_case, fragment) => {
    const tag = randomUUID().slice(0, 8);
    const literal = await createCustomerViaApi(api, { name: `${fragment}${tag}` });
    // Would match if the wildcard or escape character were taken as a pattern.
    await createCustomerViaApi(api, { name: `${fragment.replace(/[%_'"\\!]/g, 'x')}${tag}` });

    const response = await api.client.get(searchPath(`${fragment}${tag}`), { token: api.token });

    expect(response.status).toBe(200);
    expect(response.body.data).toEqual([literal]);
  });

  it('when the search is only a wildcard character, then only names or emails holding it match', async () => {
    const response = await api.client.get(searchPath('%'), { token: api.token });

    expect(response.status).toBe(200);
    for (const customer of response.body.data) {
      expect(`${customer.name} ${customer.email}`).toContain('%');
    }
  });

  it.each([
    "' OR 1=1 --",
    "'; DROP TABLE customers; --",
    '") OR ("a"="a',
    'UNION SELECT password_hash FROM operators',
  ])(
    'when the search is the SQL fragment %s, then 200 with no match and nothing broken',
    async (fragment) => {
      const response = await api.client.get(searchPath(fragment), { token: api.token });

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: [], next_cursor: null });
      const stillThere = await api.client.get('/customers?limit=1', { token: api.token });
      expect(stillThere.body.data).toHaveLength(1);
    },
  );

  it('when a search walks several pages, then the cursor keeps to the search', async () => {
    const marker = await insertManyCustomers(5);
    await createCustomerViaApi(api);

    const { ids } = await walkPages(searchPath(marker, '&limit=2'));

    expect(ids).toHaveLength(5);
  });

  it('when search text arrives unencoded with quotes and parentheses, then it matches literally', async () => {
    const marker = randomUUID().slice(0, 8);
    const created = await createCustomerViaApi(api, { name: `O'Brien (Wholesale) ${marker}!` });

    const response = await api.client.get(`/customers?search=O'Brien%20(Wholesale)%20${marker}!`, {
      token: api.token,
    });

    expect(response.status).toBe(200);
    expect(response.body.data.map((customer: { id: number }) => customer.id)).toEqual([created.id]);
  });

  it('when the search is empty, then 400', async () => {
    const response = await api.client.get('/customers?search=', { token: api.token });

    expect(response.status).toBe(400);
  });
});

describe('GET /customers cursors', () => {
  it('when a cursor is used with the search it was issued for, then the next page comes', async () => {
    const marker = await insertManyCustomers(3);
    const cursor = await secondPageCursor(api.client, searchPath(marker, '&limit=1'), api.token);

    const response = await api.client.get(searchPath(marker, `&limit=2&cursor=${cursor}`), {
      token: api.token,
    });

    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(2);
  });

  it('when a cursor issued for one search is used with another search or none, then 400 INVALID_CURSOR', async () => {
    const marker = await insertManyCustomers(3);
    await insertManyCustomers(3);
    const cursor = await secondPageCursor(api.client, searchPath(`${marker} `, '&limit=1'), api.token);

    const otherSearch = await api.client.get(searchPath(marker, `&limit=1&cursor=${cursor}`), {
      token: api.token,
    });
    const noSearch = await api.client.get(`/customers?limit=1&cursor=${cursor}`, { token: api.token });

    expectInvalidCursor(otherSearch);
    expectInvalidCursor(noSearch);
  });

  it('when any byte of a cursor is edited, then 400 INVALID_CURSOR', async () => {
    const marker = await insertManyCustomers(2);
    const cursor = await secondPageCursor(api.client, searchPath(marker, '&limit=1'), api.token);
    const bytes = Buffer.from(cursor, 'base64url');

    for (const index of [0, 15, 16, bytes.length - 1]) {
      const edited = Buffer.from(bytes);
      edited[index] = edited[index]! ^ 0x20;
      const response = await api.client.get(
        searchPath(marker, `&limit=1&cursor=${edited.toString('base64url')}`),
        { token: api.token },
      );
      expectInvalidCursor(response);
    }
  });

  it('when a cursor is truncated, then 400 INVALID_CURSOR', async () => {
    const marker = await insertManyCustomers(2);
    const cursor = await secondPageCursor(api.client, searchPath(marker, '&limit=1'), api.token);

    const response = await api.client.get(searchPath(marker, `&limit=1&cursor=${cursor.slice(0, -2)}`), {
      token: api.token,
    });

    expectInvalidCursor(response);
  });

  it('when a cursor was signed with another CURSOR_SECRET, then 400 INVALID_CURSOR', async () => {
    const marker = await insertManyCustomers(2);
    const other = await startCustomersApi({
      db: api.db,
      cursorSecret: 'another-cursor-secret-0123456789abcdef',
    });
    try {
      const foreign = await secondPageCursor(other.client, searchPath(marker, '&limit=1'), api.token);

      const response = await api.client.get(searchPath(marker, `&limit=1&cursor=${foreign}`), {
        token: api.token,
      });

      expectInvalidCursor(response);
    } finally {
      await other.stop();
    }
  });

  it('when the API runs with the development CURSOR_SECRET, then it accepts every cursor the contract shows for GET /customers', async () => {
    const { query, cursors } = documentedCursors(document, '/customers');
    expect(cursors.length).toBeGreaterThanOrEqual(1);
    const development = await startCustomersApi({ db: api.db, cursorSecret: DEVELOPMENT_CURSOR_SECRET });
    try {
      for (const cursor of cursors) {
        const response = await development.client.get(`/customers?${query}&cursor=${cursor}`, {
          token: api.token,
        });
        expect(response.status, cursor).toBe(200);
        // The secret is what makes them valid: the test secret refuses them.
        expectInvalidCursor(
          await api.client.get(`/customers?${query}&cursor=${cursor}`, { token: api.token }),
        );
      }
    } finally {
      await development.stop();
    }
  });
});
