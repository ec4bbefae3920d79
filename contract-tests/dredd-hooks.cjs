// Dredd hooks for `npm run contract` (scripts/contract.ts). CommonJS on purpose: Dredd
// silently ignores an ES module hook file in a `"type": "module"` package.
//
// Dredd 14 alone proves little on OpenAPI 3: it skips every non-2xx transaction, fills path
// ids with the contract's examples (which do not exist in a fresh database), and never
// checks a response body against its schema. These hooks make every transaction real:
//   - beforeAll creates, through the APIs, the resources the transactions need (a fresh
//     database has no seed; only the development operator row is inserted by the runner);
//   - beforeEach sends the right credential, points path ids at those resources, un-skips
//     non-2xx transactions and changes the request so the API really answers that status,
//     and sets `expected.bodySchema` from the contract so Gavel validates the body;
//   - beforeEachValidation normalises `; charset=utf-8`, which Dredd would count as a
//     mismatch of the Content-Type header.
// Nothing is skipped: the 502, 503 and 504 transactions go to second instances of the part,
// started broken on purpose (FAULTY_INSTANCES), and a status no request is written to
// provoke fails its transaction, so a newly documented status cannot pass unproven.
const hooks = require('hooks');
const { loadContract, deref, responseBodySchema } = require('./dredd/openapi-json-schema.cjs');

const env = {
  contractName: process.env.CONTRACT_NAME,
  contractFile: process.env.CONTRACT_FILE,
  customersApi: process.env.CUSTOMERS_API_URL,
  ordersApi: process.env.ORDERS_API_URL,
  serviceToken: process.env.SERVICE_TOKEN,
  username: process.env.OPERATOR_USERNAME ?? 'operator',
  password: process.env.OPERATOR_PASSWORD ?? 'operator-dev-password',
};
for (const [name, value] of Object.entries(env)) {
  if (!value) throw new Error(`dredd-hooks.cjs: ${name} is not set (run it through npm run contract)`);
}
// The run's database (orders contract only): webhook deliveries are written by the dispatcher
// from broker events, which a contract run does not publish, so the fixture inserts one.
const databaseUrl = process.env.DATABASE_URL;

/**
 * The failure statuses, each answered by an instance of the part under test that
 * scripts/contract.ts started broken on purpose (a contract that documents none of them
 * gets no URL).
 */
const FAULTY_INSTANCES = {
  502: { url: process.env.UPSTREAM_DOWN_URL, label: 'the instance whose upstreams are down' },
  503: { url: process.env.DATABASE_DOWN_URL, label: 'the instance whose database is down' },
  504: { url: process.env.UPSTREAM_SILENT_URL, label: 'the instance whose upstreams never answer' },
};

const contract = loadContract(env.contractFile);
const UNKNOWN_ID = 999999999;
// Larger than the 100 kB body limit of every part.
const HUGE_BODY = JSON.stringify({ padding: 'x'.repeat(200 * 1024) });
// Violates the X-Correlation-Id pattern: the one input every operation validates.
const INVALID_CORRELATION_ID = 'not a valid correlation id!';
// contracts/customers.yaml (POST /auth/token): 5 consecutive failures of one username from
// one address lock the pair out.
const FAILURES_BEFORE_LOCKOUT = 5;
const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
let sequence = 0;
const unique = (label) => `${label}-${runId}-${(sequence += 1)}`;

const state = { token: undefined, fixtures: {}, setupError: undefined };

// ---------------------------------------------------------------------------------------
// Fixtures, created through the APIs like a client would.

async function call(base, method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
  if (response.status >= 300) {
    throw new Error(`fixture ${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return parsed;
}

const customers = (method, path, options) =>
  call(env.customersApi, method, path, { token: state.token, ...options });
const orders = (method, path, options) =>
  call(env.ordersApi, method, path, { token: state.token, ...options });

/** Fails one log-in with a wrong password; anything but the documented 401 stops the run. */
async function failLogIn(username) {
  const response = await fetch(`${env.customersApi}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: 'wrong-password' }),
  });
  await response.arrayBuffer();
  if (response.status !== 401) throw new Error(`a failed log-in answered ${response.status}, not 401`);
}

const buildCustomer = () =>
  customers('POST', '/customers', {
    body: {
      name: `Dredd customer ${unique('c')}`,
      email: `${unique('dredd')}@example.com`,
      phone: '+1 555 0100',
    },
  });
const buildProduct = (stock) =>
  orders('POST', '/products', {
    body: { sku: unique('DREDD').toUpperCase(), name: 'Dredd pallet', price_cents: 1450, stock },
  });
const buildOrder = (customerId, productId) =>
  orders('POST', '/orders', {
    body: { customer_id: customerId, items: [{ product_id: productId, qty: 1 }] },
  });

// A loopback port nobody listens on, allowed by the test allow-list (WEBHOOK_ALLOWED_HOSTS'
// default under NODE_ENV=test): nothing is ever delivered anywhere.
const WEBHOOK_URL = 'http://127.0.0.1:9/dredd-webhook';
const buildWebhookEndpoint = () =>
  orders('POST', '/webhook-endpoints', { body: { url: WEBHOOK_URL, event_types: ['order.confirmed'] } });

/** A delivery that failed for good, with one attempt, as the dispatcher would have written it. */
async function insertWebhookDelivery(endpointId) {
  if (!databaseUrl)
    throw new Error('dredd-hooks.cjs: DATABASE_URL is not set (run it through npm run contract)');
  const mysql = require('mysql2/promise');
  const connection = await mysql.createConnection(databaseUrl);
  try {
    const eventId = crypto.randomUUID();
    const [inserted] = await connection.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, status, attempts,
                                       next_attempt_at, created_at, updated_at)
       VALUES (?, ?, 'order.confirmed', ?, 'FAILED', 1, NULL, NOW(3), NOW(3))`,
      [endpointId, eventId, JSON.stringify({ specversion: '1.0', id: eventId, type: 'order.confirmed' })],
    );
    await connection.query(
      `INSERT INTO webhook_attempts (delivery_id, attempt_number, attempted_at, response_status, duration_ms,
                                     error, response_excerpt)
       VALUES (?, 1, NOW(3), NULL, 3, 'connection refused', NULL)`,
      [inserted.insertId],
    );
    return { id: Number(inserted.insertId) };
  } finally {
    await connection.end();
  }
}

const FIXTURES = {
  async customers() {
    const [customer, other, toDelete] = [await buildCustomer(), await buildCustomer(), await buildCustomer()];
    return { customer, other, toDelete };
  },
  async orders() {
    const customer = await buildCustomer();
    const product = await buildProduct(1000);
    const scarceProduct = await buildProduct(1);
    const order = () => buildOrder(customer.id, product.id);
    const [toRead, toConfirm, toCancel, canceled, confirmed] = [
      await order(),
      await order(),
      await order(),
      await order(),
      await order(),
    ];
    await orders('POST', `/orders/${canceled.id}/cancel`);
    await orders('POST', `/orders/${confirmed.id}/confirm`, {
      headers: { 'X-Idempotency-Key': unique('key') },
    });
    const webhookEndpoint = await buildWebhookEndpoint();
    const webhookToDelete = await buildWebhookEndpoint();
    const webhookDelivery = await insertWebhookDelivery(webhookEndpoint.id);
    return {
      customer,
      product,
      scarceProduct,
      toRead,
      toConfirm,
      toCancel,
      canceled,
      confirmed,
      webhookEndpoint,
      webhookToDelete,
      webhookDelivery,
    };
  },
  async orchestrator() {
    return {
      customer: await buildCustomer(),
      product: await buildProduct(1000),
      scarceProduct: await buildProduct(1),
    };
  },
};

hooks.beforeAll((_transactions, done) => {
  (async () => {
    const issued = await call(env.customersApi, 'POST', '/auth/token', {
      body: { username: env.username, password: env.password },
    });
    state.token = issued.access_token;
    state.fixtures = await FIXTURES[env.contractName]();
  })().then(
    () => done(),
    (error) => {
      state.setupError = error;
      hooks.log(`fixture set-up failed: ${error.stack ?? error}`);
      done();
    },
  );
});

// ---------------------------------------------------------------------------------------
// Requests: the credential, the path and, for non-2xx statuses, what provokes them.

function describe(transaction) {
  const [pathTemplate, , status, mediaType] = transaction.name.split(' > ');
  const method = transaction.request.method.toUpperCase();
  const operation = contract.paths[pathTemplate][method.toLowerCase()];
  const schemes = (operation.security ?? contract.security ?? []).flatMap((requirement) =>
    Object.keys(requirement),
  );
  return { pathTemplate, method, status: Number(status), mediaType, operation, schemes };
}

function credentialFor(schemes) {
  if (schemes.includes('operatorJwt')) return state.token;
  if (schemes.includes('serviceToken')) return env.serviceToken;
  return undefined;
}

/** The credential of the other kind; none when the operation accepts both (no 403 is possible). */
function wrongCredentialFor(schemes) {
  if (schemes.includes('operatorJwt') && schemes.includes('serviceToken')) return undefined;
  if (schemes.includes('operatorJwt')) return env.serviceToken;
  if (schemes.includes('serviceToken')) return state.token;
  return undefined;
}

/** The id each `{id}` path uses in a 2xx transaction. */
function fixtureIdFor(method, pathTemplate) {
  const f = state.fixtures;
  const ids = {
    'GET /customers/{id}': f.customer?.id,
    'PUT /customers/{id}': f.customer?.id,
    'DELETE /customers/{id}': f.toDelete?.id,
    'GET /internal/customers/{id}': f.customer?.id,
    'GET /products/{id}': f.product?.id,
    'PATCH /products/{id}': f.product?.id,
    'GET /orders/{id}': f.toRead?.id,
    'POST /orders/{id}/confirm': f.toConfirm?.id,
    'POST /orders/{id}/cancel': f.toCancel?.id,
    'GET /webhook-endpoints/{id}': f.webhookEndpoint?.id,
    'PATCH /webhook-endpoints/{id}': f.webhookEndpoint?.id,
    'DELETE /webhook-endpoints/{id}': f.webhookToDelete?.id,
    'POST /webhook-endpoints/{id}/rotate-secret': f.webhookEndpoint?.id,
    'GET /webhook-endpoints/{id}/deliveries': f.webhookEndpoint?.id,
    'POST /webhook-endpoints/{id}/deliveries/{delivery_id}/retry': f.webhookEndpoint?.id,
  };
  return ids[`${method} ${pathTemplate}`];
}

/** Bodies of the 2xx transactions: the contract's examples name ids that do not exist here. */
function successBody(method, pathTemplate) {
  const f = state.fixtures;
  switch (`${method} ${pathTemplate}`) {
    case 'POST /auth/token':
      return { username: env.username, password: env.password };
    case 'POST /customers':
    case 'PUT /customers/{id}':
      return {
        name: 'Acme Industrial Supplies',
        email: `${unique('buyer')}@example.com`,
        phone: '+1 555 0101',
      };
    case 'POST /products':
      return { sku: unique('SKU').toUpperCase(), name: 'Euro pallet', price_cents: 1690, stock: 250 };
    case 'PATCH /products/{id}':
      return { price_cents: 1490 };
    case 'POST /webhook-endpoints':
      return { url: WEBHOOK_URL, event_types: ['order.confirmed', 'customer.deleted'], description: 'Dredd' };
    case 'PATCH /webhook-endpoints/{id}':
      return { description: 'Dredd, renamed', enabled: true };
    case 'POST /orders':
      return { customer_id: f.customer.id, items: [{ product_id: f.product.id, qty: 2 }] };
    case 'POST /orchestrator/create-and-confirm-order':
      return {
        customer_id: f.customer.id,
        items: [{ product_id: f.product.id, qty: 2 }],
        idempotency_key: unique('dredd-order'),
      };
    default:
      return undefined;
  }
}

/**
 * The operation's required query parameters with the contract's examples (`?from=…&to=…`),
 * which Dredd 14 leaves out of an OpenAPI 3 request; '' when it has none.
 */
function requiredQuery(operation) {
  const query = new URLSearchParams();
  for (const parameter of (operation.parameters ?? []).map((reference) => deref(contract, reference))) {
    if (parameter.in === 'query' && parameter.required) query.set(parameter.name, String(parameter.example));
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

function setPath(transaction, path) {
  transaction.fullPath = path;
  transaction.request.uri = path;
}

function setBody(transaction, body) {
  transaction.request.body = typeof body === 'string' ? body : JSON.stringify(body);
}

function setAuthorization(transaction, token) {
  for (const name of Object.keys(transaction.request.headers)) {
    if (name.toLowerCase() === 'authorization') delete transaction.request.headers[name];
  }
  if (token) transaction.request.headers.Authorization = `Bearer ${token}`;
}

/** Sends the transaction to another instance of the part under test. */
function sendTo(transaction, baseUrl) {
  const url = new URL(baseUrl);
  // Dredd 14 requests `protocol//host:port` + fullPath (TransactionRunner.performRequestAndValidate).
  transaction.host = url.hostname;
  transaction.port = url.port;
}

/**
 * Changes a transaction's request (or where it goes) so the part answers `status`. Returns
 * why it cannot when it cannot: the transaction then fails.
 */
async function provoke(transaction, info, pathWithId) {
  const { method, pathTemplate, status, schemes, operation } = info;
  const key = `${method} ${pathTemplate}`;
  const f = state.fixtures;
  const hasBody = Boolean(operation.requestBody);
  const hasId = pathTemplate.includes('{id}');

  switch (status) {
    case 400:
      if (key === 'POST /orders/{id}/confirm') {
        delete transaction.request.headers['X-Idempotency-Key'];
      } else if (hasBody) {
        // Invalid whatever the schema: every request schema is `additionalProperties: false`,
        // so this is refused also where `{}` is a valid (optional) body.
        setBody(transaction, { not_in_the_contract: true });
      } else if (pathTemplate.includes('{delivery_id}')) {
        setPath(transaction, pathWithId.replace(/\/\d+\/retry$/, '/not-a-number/retry'));
      } else if (hasId) {
        setPath(transaction, pathTemplate.replace('{id}', 'not-a-number'));
      } else if (key === 'GET /orders') {
        setPath(transaction, '/orders?status=SHIPPED');
      } else if (['GET /customers', 'GET /products', 'GET /webhook-endpoints'].includes(key)) {
        setPath(transaction, `${pathTemplate}?limit=0`);
      } else if (key === 'GET /docs/assets/{file}') {
        setPath(transaction, '/docs/assets/secrets.txt');
      } else {
        transaction.request.headers['X-Correlation-Id'] = INVALID_CORRELATION_ID;
      }
      return undefined;
    case 401:
      if (key === 'POST /auth/token')
        setBody(transaction, { username: env.username, password: 'wrong-password' });
      else setAuthorization(transaction, undefined);
      return undefined;
    case 403: {
      const wrong = wrongCredentialFor(schemes);
      if (!wrong) {
        return 'the operation accepts both kinds of credential, so no request can get a 403: it should not be documented';
      }
      setAuthorization(transaction, wrong);
      return undefined;
    }
    case 404:
      if (hasId) setPath(transaction, pathWithId.replace(/\/\d+(?=\/|$)/, `/${UNKNOWN_ID}`));
      else if (key === 'GET /docs/assets/{file}') setPath(transaction, '/docs/assets/swagger-ui.css/missing');
      else if (key === 'POST /orchestrator/create-and-confirm-order') {
        setBody(transaction, { ...successBody(method, pathTemplate), customer_id: UNKNOWN_ID });
      }
      return undefined;
    case 409:
      if (key === 'POST /customers')
        setBody(transaction, { name: 'Duplicate', email: f.other.email.toUpperCase() });
      else if (key === 'PUT /customers/{id}')
        setBody(transaction, { name: 'Duplicate', email: f.other.email });
      else if (key === 'POST /products') {
        setBody(transaction, {
          sku: f.scarceProduct?.sku ?? 'missing',
          name: 'Duplicate',
          price_cents: 1,
          stock: 1,
        });
      } else if (key === 'POST /orders') {
        setBody(transaction, {
          customer_id: f.customer.id,
          items: [{ product_id: f.scarceProduct.id, qty: 2 }],
        });
      } else if (key === 'POST /orders/{id}/confirm') {
        setPath(transaction, `/orders/${f.canceled.id}/confirm`);
      } else if (key === 'POST /orders/{id}/cancel') {
        // The runner starts the Orders API with ORDER_CANCEL_WINDOW_MINUTES=0.
        setPath(transaction, `/orders/${f.confirmed.id}/cancel`);
      } else if (key === 'POST /orchestrator/create-and-confirm-order') {
        setBody(transaction, {
          ...successBody(method, pathTemplate),
          items: [{ product_id: f.scarceProduct.id, qty: 2 }],
        });
      }
      return undefined;
    case 413:
      setBody(transaction, HUGE_BODY);
      return undefined;
    case 415:
      transaction.request.headers['Content-Type'] = 'text/plain';
      return undefined;
    case 431:
      transaction.request.headers['X-Padding'] = 'x'.repeat(20_000);
      return undefined;
    case 422:
      if (key === 'POST /orders') {
        setBody(transaction, { customer_id: UNKNOWN_ID, items: [{ product_id: f.product.id, qty: 1 }] });
      } else if (key === 'POST /orchestrator/create-and-confirm-order') {
        setBody(transaction, {
          ...successBody(method, pathTemplate),
          items: [{ product_id: UNKNOWN_ID, qty: 1 }],
        });
      }
      return undefined;
    case 429: {
      // A username of its own, so the lock-out touches nothing else in the run.
      const username = unique('throttled');
      for (let failure = 1; failure <= FAILURES_BEFORE_LOCKOUT; failure += 1) await failLogIn(username);
      setBody(transaction, { username, password: 'wrong-password' });
      return undefined;
    }
    case 502:
    case 503:
    case 504: {
      // The request is the 2xx one; the instance it goes to is what fails.
      const instance = FAULTY_INSTANCES[status];
      if (!instance.url)
        return `scripts/contract.ts starts no instance answering ${status} for this contract`;
      sendTo(transaction, instance.url);
      return undefined;
    }
    default:
      return `no way to provoke ${status} is written for ${key}`;
  }
}

/** Response headers Dredd may demand: X-Correlation-Id and those the contract marks required. */
function keepRequiredHeaders(transaction, info) {
  const response = deref(contract, info.operation.responses[String(info.status)]);
  const declared = response?.headers ?? {};
  for (const name of Object.keys(transaction.expected.headers ?? {})) {
    const header = Object.entries(declared).find(
      ([declaredName]) => declaredName.toLowerCase() === name.toLowerCase(),
    );
    const isRequired = header && deref(contract, header[1])?.required === true;
    // `Idempotent-Replayed` is only sent on a replay; Dredd ignores `required` on headers
    // and would demand every declared one.
    if (name.toLowerCase() !== 'x-correlation-id' && name.toLowerCase() !== 'content-type' && !isRequired) {
      delete transaction.expected.headers[name];
    }
  }
}

hooks.beforeEach((transaction, done) => {
  prepare(transaction).then(
    () => done(),
    (error) => {
      transaction.fail = `preparing the request failed: ${error.stack ?? error}`;
      done();
    },
  );
});

async function prepare(transaction) {
  const info = describe(transaction);
  transaction.skip = false;
  if (state.setupError) {
    transaction.fail = `fixture set-up failed: ${state.setupError.message}`;
    return;
  }
  setAuthorization(transaction, credentialFor(info.schemes));
  // Dredd does not fill required header parameters in.
  if (
    info.operation.parameters?.some((parameter) => deref(contract, parameter).name === 'X-Idempotency-Key')
  ) {
    transaction.request.headers['X-Idempotency-Key'] = unique('dredd-key');
  }
  let path = info.pathTemplate;
  if (path.includes('{id}'))
    path = path.replace('{id}', String(fixtureIdFor(info.method, info.pathTemplate)));
  if (path.includes('{delivery_id}'))
    path = path.replace('{delivery_id}', String(state.fixtures.webhookDelivery?.id));
  if (path.includes('{file}')) {
    path = path.replace(
      '{file}',
      info.mediaType === 'application/javascript' ? 'swagger-ui-bundle.js' : 'swagger-ui.css',
    );
  }
  path += requiredQuery(info.operation);
  setPath(transaction, path);
  const body = successBody(info.method, info.pathTemplate);
  if (body !== undefined) setBody(transaction, body);

  if (info.status >= 300) {
    const reason = await provoke(transaction, info, path);
    if (reason) {
      transaction.fail = `${info.method} ${info.status} ${info.pathTemplate}: ${reason}`;
      return;
    }
  }
  // Dredd reports the contract's example path; show the request really sent, and where.
  const instance = FAULTY_INSTANCES[info.status];
  transaction.id =
    `${info.method} (${info.status}) ${transaction.fullPath}` + (instance ? ` to ${instance.label}` : '');
  keepRequiredHeaders(transaction, info);
  const schema =
    info.mediaType &&
    responseBodySchema(contract, info.method, info.pathTemplate, info.status, info.mediaType);
  if (schema && /json/.test(info.mediaType)) {
    transaction.expected.bodySchema = schema;
    // The example only serves Dredd's key check; the schema is the stricter, real check.
    delete transaction.expected.body;
  }
}

const mediaTypeOf = (value) =>
  String(value ?? '')
    .split(';')[0]
    .trim();

hooks.beforeEachValidation((transaction) => {
  const headers = transaction.real.headers;
  for (const name of Object.keys(headers)) {
    // Express sends `application/json; charset=utf-8`; Dredd compares the whole value.
    if (name.toLowerCase() === 'content-type') headers[name] = mediaTypeOf(headers[name]);
  }
  const expectedType = mediaTypeOf(
    Object.entries(transaction.expected.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'content-type',
    )?.[1],
  );
  if (expectedType && !/json/.test(expectedType)) {
    // Text bodies (the YAML contract, the docs page and its assets) can only be diffed byte
    // for byte against the contract's short example; Gavel checks the status and the
    // Content-Type, and here the body must simply not be empty.
    if (transaction.real.body) transaction.expected.body = transaction.real.body;
    else transaction.fail = 'the response body is empty';
  }
  // GET /metrics: Prometheus text that has counted this run's requests, not just any text.
  if (transaction.request.uri === '/metrics' && transaction.real.statusCode === 200) {
    const body = String(transaction.real.body ?? '');
    if (!/^http_requests_total\{operation="[A-Za-z]+",method="[A-Z]+",status="\d{3}"\} \d+$/m.test(body)) {
      transaction.fail = 'GET /metrics answered no http_requests_total sample in the Prometheus text format';
    }
  }
});
