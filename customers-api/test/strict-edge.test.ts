import { request as httpRequest } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import {
  buildCustomer,
  createCustomerViaApi,
  startCustomersApi,
  useCustomersApi,
  type RunningCustomersApi,
} from './helpers';

/**
 * The edge every API shares (service-kit createServiceApp): input the contract does not
 * allow is refused, never read some other way, and every answer is problem+json with the
 * security headers. Each example here was answered 200/201 (or Node's bare status) before.
 */
const api = useCustomersApi();
let customerId: number;

beforeAll(async () => {
  customerId = (await createCustomerViaApi(api)).id;
});

/** node:http, so a test can send what fetch would not: repeated header lines, raw bytes. */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${api.baseUrl}${path}`, { method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const customersCount = async () =>
  Number((await api.db.query(sql`SELECT COUNT(*) AS count FROM customers`))[0].count);

describe('integers in paths and query strings are plain decimal', () => {
  it.each(['0x1', '1e0', '%2B1', '1.0', '%201', '01', '-0'])(
    'when GET /customers/%s is asked for, then 400 naming path.id',
    async (id) => {
      const response = await api.client.get(`/customers/${id}`, { token: api.token });

      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain('path.id');
    },
  );

  it.each(['0x2', '2e0', '2.0', '%2B2'])(
    'when ?limit=%s is sent, then 400 naming query.limit',
    async (limit) => {
      const response = await api.client.get(`/customers?limit=${limit}`, { token: api.token });

      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        { field: 'query.limit', message: 'must be a plain decimal integer' },
      ]);
    },
  );

  it('when a query parameter is given twice, then 400 saying so, not a type error about an array', async () => {
    const response = await api.client.get('/customers?limit=5&limit=6&search=a', { token: api.token });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'query.limit', message: 'is given 2 times; give it once' },
    ]);
  });

  it('when the id is plain decimal, then the customer is found', async () => {
    expect((await api.client.get(`/customers/${customerId}`, { token: api.token })).status).toBe(200);
  });
});

describe('text is well-formed Unicode', () => {
  it('when a JSON string holds a lone surrogate, then 400 naming the field and nothing is stored', async () => {
    const before = await customersCount();

    const response = await api.client.post('/customers', {
      token: api.token,
      body: '{"name":"bad \\ud800 name","email":"lone-surrogate@example.com"}',
    });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'body.name', message: 'must be well-formed Unicode text' },
    ]);
    expect(await customersCount()).toBe(before);
  });

  it('when the body is not UTF-8, then 400 INVALID_JSON and nothing is stored', async () => {
    const before = await customersCount();

    const response = await rawRequest(
      'POST',
      '/customers',
      { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' },
      Buffer.from('{"name":"Caf\xe9","email":"latin1@example.com"}', 'latin1'),
    );

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toMatchObject({
      code: 'INVALID_JSON',
      detail: expect.stringContaining('UTF-8'),
    });
    expect(await customersCount()).toBe(before);
  });

  it('when a query value is percent-encoded bytes that are not UTF-8, then 400 naming it', async () => {
    const response = await api.client.get('/customers?search=%ff', { token: api.token });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { field: 'query.search', message: 'must be percent-encoded UTF-8' },
    ]);
  });
});

describe('HTTP semantics', () => {
  it('when HEAD /health is asked for, then 200 with the headers of GET and no content', async () => {
    const response = await rawRequest('HEAD', '/health', {});

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.text).toBe('');
  });

  it('when HEAD asks for a customer, then it is authenticated and answered like GET', async () => {
    expect((await rawRequest('HEAD', `/customers/${customerId}`, {})).status).toBe(401);
    expect(
      (await rawRequest('HEAD', `/customers/${customerId}`, { Authorization: `Bearer ${api.token}` })).status,
    ).toBe(200);
  });

  it('when a path does not have the method, then 405 with an Allow header naming the ones it has', async () => {
    const response = await rawRequest('PUT', '/customers', { Authorization: `Bearer ${api.token}` });

    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, POST, HEAD');
    expect(JSON.parse(response.text)).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
  });

  it('when POST /customers has no body and no Content-Type, then 400: the body is required', async () => {
    const response = await rawRequest('POST', '/customers', { Authorization: `Bearer ${api.token}` });

    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream'])(
    'when the body is sent as %s, then 415 saying what was sent',
    async (contentType) => {
      const body = JSON.stringify(buildCustomer());
      const response = await rawRequest(
        'POST',
        '/customers',
        { Authorization: `Bearer ${api.token}`, 'Content-Type': contentType },
        body,
      );

      expect(response.status).toBe(415);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(response.text).detail).toBe(
        `The request body must be application/json (got ${contentType}).`,
      );
    },
  );

  it('when the headers are over 16 kB, then 431 problem+json with a correlation id, not a bare status line', async () => {
    const response = await rawRequest('GET', `/customers/${customerId}`, {
      Authorization: `Bearer ${'a'.repeat(20_000)}`,
    });

    expect(response.status).toBe(431);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(response.text);
    expect(problem).toMatchObject({ status: 431, code: 'REQUEST_HEADERS_TOO_LARGE' });
    expect(response.headers['x-correlation-id']).toBe(problem.correlationId);
  });

  it.each(['Authorization', 'X-Correlation-Id'])(
    'when %s is sent twice, then 400 naming it, whichever line is valid',
    async (name) => {
      const valid = name === 'Authorization' ? `Bearer ${api.token}` : 'first-id';
      const headers: Record<string, string | string[]> = { Authorization: `Bearer ${api.token}` };
      headers[name] = [valid, name === 'Authorization' ? 'Bearer someone-else' : 'second-id'];

      const response = await rawRequest('GET', `/customers/${customerId}`, headers);

      expect(response.status).toBe(400);
      expect(JSON.parse(response.text).errors).toEqual([
        { field: `header.${name.toLowerCase()}`, message: 'must be sent once' },
      ]);
    },
  );
});

describe('the bytes on the wire: application/json, UTF-8, no content coding', () => {
  const customersWithEmail = async (email: string) =>
    Number(
      (await api.db.query(sql`SELECT COUNT(*) AS count FROM customers WHERE email = ${email}`))[0].count,
    );
  const withToken = (headers: Record<string, string>) => ({
    Authorization: `Bearer ${api.token}`,
    ...headers,
  });

  it('when a body is labelled charset=utf-7, where +ACI- is a quote, then 415 and nothing is stored (not name "a" and a phone)', async () => {
    const before = await customersCount();

    const response = await rawRequest(
      'POST',
      '/customers',
      withToken({ 'Content-Type': 'application/json; charset=utf-7' }),
      '{"name":"a+ACI-,+ACI-phone+ACI-:+ACI-555 0100","email":"utf7-smuggled@example.test"}',
    );

    expect(response.status).toBe(415);
    expect(JSON.parse(response.text)).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'The request body must be application/json (got application/json; charset=utf-7).',
    });
    expect(await customersCount()).toBe(before);
  });

  it.each([
    ['application/json; charset=utf-16le', 'utf16le'],
    ['application/json; charset=iso-8859-1', 'latin1'],
    ['application/json; charset=utf-8; profile=x', 'utf8'],
  ] as const)(
    'when a customer is sent as %s, then 415 UNSUPPORTED_MEDIA_TYPE naming it, and nothing is stored',
    async (contentType, encoding) => {
      const customer = buildCustomer();

      const response = await rawRequest(
        'POST',
        '/customers',
        withToken({ 'Content-Type': contentType }),
        Buffer.from(JSON.stringify(customer), encoding),
      );

      expect(response.status).toBe(415);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(response.text)).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        detail: `The request body must be application/json (got ${contentType}).`,
      });
      expect(await customersWithEmail(customer.email)).toBe(0);
    },
  );

  it('when charset is the only parameter and says UTF-8 in any case or quoted, then the body is read; any other parameter is 415', async () => {
    const send = (contentType: string) =>
      rawRequest(
        'POST',
        '/customers',
        withToken({ 'Content-Type': contentType }),
        JSON.stringify(buildCustomer()),
      );

    expect((await send('application/json; charset=UTF-8')).status).toBe(201);
    expect((await send('Application/JSON;charset="utf-8"')).status).toBe(201);
    expect((await send('application/json; version=2')).status).toBe(415);
  });

  it.each(['application/vnd.api+json', 'application/merge-patch+json', 'text/plain'])(
    'when a body of %s is sent without credentials, then 415: the bytes are judged before the caller, as in the orchestrator',
    async (contentType) => {
      const response = await rawRequest(
        'POST',
        '/customers',
        { 'Content-Type': contentType },
        JSON.stringify(buildCustomer()),
      );

      expect(response.status).toBe(415);
      expect(JSON.parse(response.text)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    },
  );

  const encodings: Record<string, (text: string) => Buffer> = {
    gzip: (text) => gzipSync(text),
    deflate: (text) => deflateSync(text),
    br: (text) => brotliCompressSync(text),
    'x-unknown': (text) => Buffer.from(text),
  };

  it.each(Object.keys(encodings))(
    'when a customer is sent with Content-Encoding: %s, then 415 UNSUPPORTED_CONTENT_ENCODING with Accept-Encoding: identity, and nothing is stored',
    async (coding) => {
      const customer = buildCustomer();

      const response = await rawRequest(
        'POST',
        '/customers',
        withToken({ 'Content-Type': 'application/json', 'Content-Encoding': coding }),
        encodings[coding]!(JSON.stringify(customer)),
      );

      expect(response.status).toBe(415);
      expect(response.headers['accept-encoding']).toBe('identity');
      expect(JSON.parse(response.text)).toMatchObject({ status: 415, code: 'UNSUPPORTED_CONTENT_ENCODING' });
      expect(await customersWithEmail(customer.email)).toBe(0);
    },
  );

  it.each([
    ['POST', '/auth/token'],
    ['POST', '/customers'],
    ['PUT', '/customers/{id}'],
  ])(
    'when %s %s is sent without credentials, labelled Content-Encoding: br, with a body that is not brotli, then 415, not a 500',
    async (method, path) => {
      const response = await rawRequest(
        method,
        path.replace('{id}', String(customerId)),
        { 'Content-Type': 'application/json', 'Content-Encoding': 'br' },
        JSON.stringify({ username: 'operator', password: 'operator-dev-password', ...buildCustomer() }),
      );

      expect(response.status).toBe(415);
      expect(response.headers['accept-encoding']).toBe('identity');
      expect(JSON.parse(response.text)).toMatchObject({ code: 'UNSUPPORTED_CONTENT_ENCODING' });
    },
  );
});

describe('security headers', () => {
  it.each([
    ['a JSON answer', () => api.client.get(`/customers/${customerId}`, { token: api.token })],
    ['a problem', () => api.client.get('/customers/0x1', { token: api.token })],
    ['the docs page', () => api.client.get('/docs')],
  ])(
    'when %s is sent, then it carries nosniff, no-store and a Content-Security-Policy, and no X-Powered-By',
    async (_, send) => {
      const response = await send();

      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(response.headers.get('x-powered-by')).toBeNull();
    },
  );

  it('when the docs page is served, then its CSP lets this origin’s scripts run and nothing inline', async () => {
    const page = await api.client.get('/docs');

    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.text).not.toMatch(/<script>/);
    expect((await api.client.get('/docs/assets/docs-init.js')).status).toBe(200);
  });

  it('when an API answers JSON, then its CSP allows loading nothing', async () => {
    const response = await api.client.get('/health');

    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('cross-origin access', () => {
  let withOrigins: RunningCustomersApi;
  const console = 'http://127.0.0.1:5173';

  beforeAll(async () => {
    withOrigins = await startCustomersApi({ db: api.db, corsAllowedOrigins: [console] });
  });
  afterAll(() => withOrigins?.stop());

  it('when no origins are configured, then no page of another origin is allowed', async () => {
    const response = await rawRequest('GET', '/health', { Origin: console });

    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('when an allowed origin asks before sending, then the preflight allows it with the headers it needs', async () => {
    const response = await fetch(`${withOrigins.baseUrl}/customers`, {
      method: 'OPTIONS',
      headers: {
        Origin: console,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(console);
    expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  it('when another origin asks, then it is not allowed', async () => {
    const response = await fetch(`${withOrigins.baseUrl}/health`, {
      headers: { Origin: 'http://evil.example' },
    });

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
