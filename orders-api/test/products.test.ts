import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectInvalidCursor, secondPageCursor, TEST_AUTH } from '@b2b/service-kit/testing';
import { startSystem, statusCounts, unique, type System } from './helpers';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('POST /products', () => {
  it('when an operator creates a product, then 201 with Location and the product as stored', async () => {
    const sku = unique('PAL');
    const created = await system.api.post('/products', {
      token: system.token,
      body: { sku, name: 'Euro pallet', price_cents: 1450, stock: 500 },
    });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ sku, name: 'Euro pallet', price_cents: 1450, stock: 500 });
    expect(created.headers.get('location')).toBe(`/products/${created.body.id}`);
    const fetched = await system.api.get(created.headers.get('location')!, { token: system.token });
    expect(fetched.body).toEqual(created.body);
  });

  it('when the sku is taken in another letter case, then 409 SKU_TAKEN', async () => {
    const product = await system.createProduct({ sku: unique('Case') });

    const duplicate = await system.api.post('/products', {
      token: system.token,
      body: { sku: product.sku.toUpperCase(), name: 'Other', price_cents: 1, stock: 1 },
    });

    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ code: 'SKU_TAKEN', status: 409 });
  });

  it('when ten requests race for one sku, then exactly one wins and the others get 409', async () => {
    const sku = unique('RACE');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        system.api.post('/products', {
          token: system.token,
          body: { sku, name: 'Racer', price_cents: 1, stock: 1 },
        }),
      ),
    );

    expect(statusCounts(responses)).toEqual({ 201: 1, 409: 9 });
  });

  it('when the body is invalid, then 400 naming each field', async () => {
    const response = await system.api.post('/products', {
      token: system.token,
      body: { sku: '-bad', name: '', price_cents: -1, stock: 1.5, extra: true },
    });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    const fields = response.body.errors.map((error: { field: string }) => error.field);
    expect(fields).toEqual(
      expect.arrayContaining(['body.sku', 'body.name', 'body.price_cents', 'body.stock', 'body.extra']),
    );
  });

  it('when called without a token, then 401; with the service token, then 403', async () => {
    const body = { sku: unique('AUTH'), name: 'x', price_cents: 1, stock: 1 };
    expect((await system.api.post('/products', { body })).status).toBe(401);
    expect((await system.api.post('/products', { body, token: TEST_AUTH.serviceToken })).status).toBe(403);
  });
});

describe('POST /products: the bytes on the wire are application/json, UTF-8, no content coding', () => {
  const productsWithSku = async (sku: string) =>
    (await system.api.get(`/products?search=${sku}`, { token: system.token })).body.data.length;

  it.each(['gzip', 'deflate', 'br', 'x-unknown'])(
    'when a product is labelled Content-Encoding: %s, then 415 UNSUPPORTED_CONTENT_ENCODING with Accept-Encoding: identity, and nothing is stored',
    async (coding) => {
      const sku = unique('CODED');

      const response = await system.api.post('/products', {
        token: system.token,
        headers: { 'Content-Encoding': coding },
        body: { sku, name: 'Coded', price_cents: 1, stock: 1 },
      });

      expect(response.status).toBe(415);
      expect(response.headers.get('accept-encoding')).toBe('identity');
      expect(response.body).toMatchObject({ status: 415, code: 'UNSUPPORTED_CONTENT_ENCODING' });
      expect(await productsWithSku(sku)).toBe(0);
    },
  );

  it('when a product is sent without credentials, labelled Content-Encoding: br, with a body that is not brotli, then 415, not a 500', async () => {
    const response = await system.api.post('/products', {
      headers: { 'Content-Encoding': 'br' },
      body: { sku: unique('BR'), name: 'Brotli', price_cents: 1, stock: 1 },
    });

    expect(response.status).toBe(415);
    expect(response.body.code).toBe('UNSUPPORTED_CONTENT_ENCODING');
  });

  it('when a product is labelled charset=utf-7, where +ACI- is a quote, then 415 UNSUPPORTED_MEDIA_TYPE and nothing is stored', async () => {
    const sku = unique('UTF7');

    const response = await system.api.post('/products', {
      token: system.token,
      headers: { 'Content-Type': 'application/json; charset=utf-7' },
      body: `{"sku":"${sku}","name":"a+ACI-,+ACI-stock+ACI-:1,+ACI-x+ACI-:+ACI-","price_cents":1,"stock":5}`,
    });

    expect(response.status).toBe(415);
    expect(response.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await productsWithSku(sku)).toBe(0);
  });
});

describe('PATCH /products/{id}', () => {
  it('when name, price and stock change, then the product has the new values and a new updated_at', async () => {
    const product = await system.createProduct();
    const before = await system.api.get(`/products/${product.id}`, { token: system.token });

    const updated = await system.api.patch(`/products/${product.id}`, {
      token: system.token,
      body: { name: 'Renamed', price_cents: 990, stock: 7 },
    });

    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      id: product.id,
      sku: product.sku,
      name: 'Renamed',
      price_cents: 990,
      stock: 7,
    });
    expect(updated.body.created_at).toBe(before.body.created_at);
    expect(Date.parse(updated.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.body.updated_at));
  });

  it('when only the stock is sent, then only the stock changes', async () => {
    const product = await system.createProduct({ name: 'Keep me', price_cents: 321 });

    const updated = await system.api.patch(`/products/${product.id}`, {
      token: system.token,
      body: { stock: 0 },
    });

    expect(updated.body).toMatchObject({ name: 'Keep me', price_cents: 321, stock: 0 });
  });

  it('when the product does not exist, then 404 PRODUCT_NOT_FOUND', async () => {
    const response = await system.api.patch('/products/999999999', {
      token: system.token,
      body: { stock: 1 },
    });

    expect(response.status).toBe(404);
    expect(response.body.code).toBe('PRODUCT_NOT_FOUND');
  });

  it('when the body is empty or tries to change the sku, then 400', async () => {
    const product = await system.createProduct();

    const empty = await system.api.patch(`/products/${product.id}`, { token: system.token, body: {} });
    const sku = await system.api.patch(`/products/${product.id}`, {
      token: system.token,
      body: { sku: 'NEW' },
    });

    expect(empty.status).toBe(400);
    expect(sku.status).toBe(400);
  });

  it('when no body is sent at all, then 400 VALIDATION_FAILED naming body, never a 500', async () => {
    const product = await system.createProduct();
    const withoutContentType: Record<string, string> = {};

    for (const headers of [withoutContentType, { 'Content-Type': 'application/json' }]) {
      const response = await system.api.patch(`/products/${product.id}`, { token: system.token, headers });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['body']);
    }
  });
});

describe('GET /products/{id}', () => {
  it('when the product does not exist, then 404 PRODUCT_NOT_FOUND', async () => {
    const response = await system.api.get('/products/999999999', { token: system.token });

    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({
      code: 'PRODUCT_NOT_FOUND',
      detail: 'Product 999999999 does not exist.',
    });
  });

  it('when the id is not a positive integer, then 400', async () => {
    expect((await system.api.get('/products/0', { token: system.token })).status).toBe(400);
    expect((await system.api.get('/products/abc', { token: system.token })).status).toBe(400);
  });
});

describe('GET /products', () => {
  it('when searching, then sku and name match case-insensitively and %, _ and \\ match only themselves', async () => {
    const marker = unique('mk').toLowerCase();
    const percent = await system.createProduct({ name: `${marker}% off` });
    const underscore = await system.createProduct({ name: `${marker}_ off` });
    const backslash = await system.createProduct({ name: `${marker}\\ off` });
    const plain = await system.createProduct({ name: `${marker}x off` });
    const bySku = await system.createProduct({ sku: `${marker.toUpperCase()}-SKU`, name: 'Sku only' });
    const search = async (text: string) => {
      const response = await system.api.get(`/products?search=${encodeURIComponent(text)}`, {
        token: system.token,
      });
      expect(response.status).toBe(200);
      return response.body.data.map((product: { id: number }) => product.id);
    };

    expect(await search(`${marker}%`)).toEqual([percent.id]);
    expect(await search(`${marker}_`)).toEqual([underscore.id]);
    expect(await search(`${marker}\\`)).toEqual([backslash.id]);
    expect(await search(marker.toUpperCase())).toEqual([
      percent.id,
      underscore.id,
      backslash.id,
      plain.id,
      bySku.id,
    ]);
    expect(await search(`${marker}-sku`)).toEqual([bySku.id]);
  });

  it('when paging with a limit, then every product comes once, in ascending id order, and the last page has no cursor', async () => {
    const marker = unique('page');
    const ids: number[] = [];
    for (let index = 0; index < 5; index++)
      ids.push((await system.createProduct({ name: `${marker} ${index}` })).id);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/products?search=${marker}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await system.api.get(query, { token: system.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((product: { id: number }) => product.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);

    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
  });

  it.each([
    ['made by hand from a position', Buffer.from('[18]').toString('base64url')],
    ['made by hand from a string', Buffer.from(JSON.stringify(['x'])).toString('base64url')],
    ['the example of the contract before cursors were signed', 'eyJpZCI6OX0'],
  ])('when the cursor is %s, then 400 INVALID_CURSOR', async (_case, cursor) => {
    const response = await system.api.get(`/products?cursor=${cursor}`, { token: system.token });

    expectInvalidCursor(response);
  });

  it('when the limit is out of range, then 400', async () => {
    expect((await system.api.get('/products?limit=0', { token: system.token })).status).toBe(400);
    expect((await system.api.get('/products?limit=101', { token: system.token })).status).toBe(400);
  });
});

describe('GET /products?stock_below=', () => {
  /** Products named `<marker> <stock>` with these stocks, in creation (id) order. */
  async function productsWithStocks(stocks: number[]) {
    const marker = unique('low');
    const products = [];
    for (const stock of stocks)
      products.push(await system.createProduct({ name: `${marker} ${stock}`, stock }));
    return { marker, products };
  }

  const listIds = async (query: string) => {
    const response = await system.api.get(`/products?${query}`, { token: system.token });
    expect(response.status).toBe(200);
    return response.body.data.map((product: { id: number }) => product.id);
  };

  it('when listing with stock_below and a search, then only the matching products whose stock is strictly below come, in id order', async () => {
    const {
      marker,
      products: [empty, nine, ten, , two],
    } = await productsWithStocks([0, 9, 10, 11, 2]);

    expect(await listIds(`search=${marker}&stock_below=10`)).toEqual([empty!.id, nine!.id, two!.id]);
    expect(await listIds(`search=${marker}&stock_below=11`)).toEqual([empty!.id, nine!.id, ten!.id, two!.id]);
    expect(await listIds(`search=${marker}&stock_below=1`)).toEqual([empty!.id]);
    expect(await listIds(`search=${marker}&stock_below=1000000000`)).toHaveLength(5);
  });

  it('when paging with stock_below, then the cursor leads through the low products only', async () => {
    const {
      marker,
      products: [, , third],
    } = await productsWithStocks([1, 50, 3]);
    const query = `search=${marker}&stock_below=5&limit=1`;
    const cursor = await secondPageCursor(system.api, `/products?${query}`, system.token);

    const response = await system.api.get(`/products?${query}&cursor=${cursor}`, { token: system.token });

    expect(response.status).toBe(200);
    expect(response.body.data.map((product: { id: number }) => product.id)).toEqual([third!.id]);
    expect(response.body.next_cursor).toBeNull();
  });

  it('when a cursor issued for one stock_below is used with another or none, then 400 INVALID_CURSOR', async () => {
    const { marker } = await productsWithStocks([1, 2]);
    const cursor = await secondPageCursor(
      system.api,
      `/products?search=${marker}&stock_below=5&limit=1`,
      system.token,
    );

    for (const query of [`search=${marker}&stock_below=6&`, `search=${marker}&`, 'stock_below=5&']) {
      expectInvalidCursor(
        await system.api.get(`/products?${query}limit=1&cursor=${cursor}`, { token: system.token }),
      );
    }
  });

  it('when stock_below is out of range or not a plain integer, then 400 VALIDATION_FAILED naming query.stock_below', async () => {
    for (const value of ['0', '1000000001', '-1', '1e3', '0x10', 'ten']) {
      const response = await system.api.get(`/products?stock_below=${value}`, { token: system.token });
      expect(response.status, value).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(
        'query.stock_below',
      );
    }
  });
});

describe('GET /products cursors', () => {
  /** Two products named `<marker> n`, so a search for the marker has a second page at limit=1. */
  async function twoProducts(): Promise<string> {
    const marker = unique('cursor');
    for (let index = 0; index < 2; index++) await system.createProduct({ name: `${marker} ${index}` });
    return marker;
  }

  it('when a cursor is used with its search and another limit, then the next page comes', async () => {
    const marker = await twoProducts();
    const cursor = await secondPageCursor(system.api, `/products?search=${marker}&limit=1`, system.token);

    const response = await system.api.get(`/products?search=${marker}&limit=5&cursor=${cursor}`, {
      token: system.token,
    });

    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(1);
  });

  it('when a cursor of GET /customers or GET /orders is used on GET /products, then 400 INVALID_CURSOR', async () => {
    for (let index = 0; index < 2; index++) await system.createOrder();
    const customersCursor = await secondPageCursor(system.customersApi, '/customers?limit=1', system.token);
    const ordersCursor = await secondPageCursor(system.api, '/orders?limit=1', system.token);

    for (const cursor of [customersCursor, ordersCursor]) {
      expectInvalidCursor(
        await system.api.get(`/products?limit=1&cursor=${cursor}`, { token: system.token }),
      );
    }
  });

  it('when a cursor issued for one search is used with another search or none, then 400 INVALID_CURSOR', async () => {
    const marker = await twoProducts();
    const cursor = await secondPageCursor(system.api, `/products?search=${marker}&limit=1`, system.token);

    for (const query of [`search=${marker.toUpperCase()}&`, 'search=a&', '']) {
      expectInvalidCursor(
        await system.api.get(`/products?${query}limit=1&cursor=${cursor}`, { token: system.token }),
      );
    }
  });

  it('when a byte of a cursor is edited, then 400 INVALID_CURSOR', async () => {
    const marker = await twoProducts();
    const bytes = Buffer.from(
      await secondPageCursor(system.api, `/products?search=${marker}&limit=1`, system.token),
      'base64url',
    );
    // The last byte is the closing bracket of the position: the edit keeps it valid JSON.
    const edited = Buffer.from(bytes);
    edited[bytes.length - 2] = edited[bytes.length - 2]! ^ 0x01;

    const response = await system.api.get(
      `/products?search=${marker}&limit=1&cursor=${edited.toString('base64url')}`,
      {
        token: system.token,
      },
    );

    expectInvalidCursor(response);
  });

  it('when a cursor was signed with another CURSOR_SECRET, then 400 INVALID_CURSOR', async () => {
    const marker = await twoProducts();
    const other = await system.startOrdersApi({ cursorSecret: 'another-cursor-secret-0123456789abcdef' });
    const foreign = await secondPageCursor(other, `/products?search=${marker}&limit=1`, system.token);

    const response = await system.api.get(`/products?search=${marker}&limit=1&cursor=${foreign}`, {
      token: system.token,
    });

    expectInvalidCursor(response);
  });
});
