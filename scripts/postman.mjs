// Writes postman/ from the bundled contracts (generated/*.openapi.json): one collection with
// a folder per API, converted by openapi-to-postmanv2 and then made runnable end to end
// against a freshly seeded system, plus an environment for the local ports.
// `--check` writes nothing and exits 1 when postman/ differs from what it would write.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import converter from 'openapi-to-postmanv2';
import { writeOrCheckOutputs } from './lib/write-outputs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isCheck = process.argv.includes('--check');

const COLLECTION_FILE = 'postman/b2b-orders-backoffice.postman_collection.json';
const ENVIRONMENT_FILE = 'postman/local.postman_environment.json';
const COLLECTION_NAME = 'B2B Orders Backoffice';

const APIS = [
  { contract: 'customers', folder: 'Customers API', baseUrlVariable: 'customersBaseUrl' },
  { contract: 'orders', folder: 'Orders API', baseUrlVariable: 'ordersBaseUrl' },
  { contract: 'orchestrator', folder: 'Orchestrator', baseUrlVariable: 'orchestratorBaseUrl' },
];

const ENVIRONMENT = [
  { key: 'customersBaseUrl', value: 'http://127.0.0.1:3001' },
  { key: 'ordersBaseUrl', value: 'http://127.0.0.1:3002' },
  { key: 'orchestratorBaseUrl', value: 'http://127.0.0.1:3000' },
  { key: 'username', value: 'operator' },
  { key: 'password', value: 'operator-dev-password', type: 'secret' },
  // The development default of SERVICE_TOKEN (service-kit/src/config.ts).
  { key: 'serviceToken', value: 'development-service-token-change-me', type: 'secret' },
];

/** Postman's raw JSON bodies may hold `{{variable}}` where a number belongs. */
const numberVariable = (name) => `<<number:${name}>>`;
const rawJson = (body) =>
  JSON.stringify(body, null, 2).replace(/"<<number:([A-Za-z]+)>>"/g, (_, name) => `{{${name}}}`);

const captureId = (variable, status) =>
  `if (pm.response.code === ${status}) pm.collectionVariables.set('${variable}', String(pm.response.json().id));`;

/**
 * How each operation runs, in run order within its tag folder. Creation requests use unique
 * values so the run can repeat against the same database; every id a later request needs is
 * captured from a response of this run, never taken from the seed. An operation missing here
 * stops generation: decide where it runs and what it acts on before it joins the collection.
 */
const RUN_PLAN = {
  issueToken: {
    body: { username: '{{username}}', password: '{{password}}' },
    tests: [
      'if (pm.response.code === 200) {',
      '  const token = pm.response.json();',
      "  pm.collectionVariables.set('operatorToken', token.access_token);",
      "  pm.collectionVariables.set('operatorTokenExpiresAt', String(Date.now() + token.expires_in * 1000));",
      '}',
    ],
  },
  createCustomer: {
    body: {
      name: 'Postman customer {{$timestamp}}',
      email: 'postman-{{$guid}}@example.com',
      phone: '+1 (555) 010-2030',
    },
    tests: [captureId('customerId', 201)],
  },
  listCustomers: {},
  getCustomer: { pathVariables: { id: '{{customerId}}' } },
  replaceCustomer: {
    pathVariables: { id: '{{customerId}}' },
    body: {
      name: 'Postman customer {{$timestamp}} (renamed)',
      email: 'postman-{{$guid}}@example.com',
      phone: '+1 (555) 010-2099',
    },
  },
  deleteCustomer: {
    // Deletes a customer of its own, so the one the other requests use stays alive.
    pathVariables: { id: '{{disposableCustomerId}}' },
    prerequest: [
      'pm.sendRequest(',
      '  {',
      "    url: pm.variables.replaceIn('{{customersBaseUrl}}/customers'),",
      "    method: 'POST',",
      '    header: {',
      "      'Content-Type': 'application/json',",
      "      Authorization: `Bearer ${pm.collectionVariables.get('operatorToken')}`,",
      '    },',
      '    body: {',
      "      mode: 'raw',",
      '      raw: JSON.stringify({',
      "        name: 'Postman customer to delete',",
      "        email: pm.variables.replaceIn('postman-delete-{{$guid}}@example.com'),",
      '      }),',
      '    },',
      '  },',
      '  (error, response) => {',
      "    if (error || response.code !== 201) throw new Error('could not create the customer to delete');",
      "    pm.collectionVariables.set('disposableCustomerId', String(response.json().id));",
      '  },',
      ');',
    ],
  },
  getInternalCustomer: { pathVariables: { id: '{{customerId}}' } },
  getHealth: {},
  getMetrics: {},
  getOpenApiDocument: {},
  getDocs: {},
  getDocsAsset: {},
  // The other parts' contracts, served read-only by each API for its docs page.
  getCustomersContract: {},
  getOrdersContract: {},
  getOrchestratorContract: {},
  // The events contract (AsyncAPI), served read-only by each API.
  getEventsContract: {},
  // Each API's event feed, from its oldest event kept.
  listEvents: {},
  createProduct: {
    body: { sku: 'PM-{{$timestamp}}-{{$randomInt}}', name: 'Postman pallet', price_cents: 1690, stock: 250 },
    tests: [captureId('productId', 201)],
  },
  listProducts: {},
  getProduct: { pathVariables: { id: '{{productId}}' } },
  updateProduct: { pathVariables: { id: '{{productId}}' } },
  createOrder: {
    body: {
      customer_id: numberVariable('customerId'),
      items: [{ product_id: numberVariable('productId'), qty: 2 }],
    },
    tests: [captureId('orderId', 201)],
  },
  listOrders: {},
  // The dashboard's figures: the example range and zone, whatever the database holds.
  getOrdersPerDay: {},
  getOrderBacklog: {},
  getOrder: { pathVariables: { id: '{{orderId}}' } },
  confirmOrder: { pathVariables: { id: '{{orderId}}' } },
  // Right after the confirmation, inside the cancel window: CONFIRMED → CANCELED.
  cancelOrder: { pathVariables: { id: '{{orderId}}' } },
  // Webhooks: a loopback URL on a port nobody listens on, allowed by the development
  // allow-list (WEBHOOK_ALLOWED_HOSTS), so no event ever leaves the machine.
  createWebhookEndpoint: {
    body: {
      url: 'http://127.0.0.1:9/postman-webhook',
      event_types: ['order.confirmed', 'order.canceled'],
      description: 'Postman endpoint {{$timestamp}}',
    },
    tests: [captureId('webhookEndpointId', 201)],
  },
  listWebhookEndpoints: {},
  getWebhookEndpoint: { pathVariables: { id: '{{webhookEndpointId}}' } },
  updateWebhookEndpoint: { pathVariables: { id: '{{webhookEndpointId}}' } },
  rotateWebhookSecret: { pathVariables: { id: '{{webhookEndpointId}}' } },
  listWebhookDeliveries: {
    pathVariables: { id: '{{webhookEndpointId}}' },
    // A fresh endpoint usually has no delivery yet: the retry then names none (404).
    tests: [
      'if (pm.response.code === 200) {',
      '  const [delivery] = pm.response.json().data;',
      "  pm.collectionVariables.set('webhookDeliveryId', String(delivery ? delivery.id : 999999999));",
      '}',
    ],
  },
  retryWebhookDelivery: {
    pathVariables: { id: '{{webhookEndpointId}}', delivery_id: '{{webhookDeliveryId}}' },
    statuses: [202, 404],
  },
  deleteWebhookEndpoint: { pathVariables: { id: '{{webhookEndpointId}}' } },
  createAndConfirmOrder: {
    body: {
      customer_id: numberVariable('customerId'),
      items: [{ product_id: numberVariable('productId'), qty: 1 }],
      idempotency_key: 'postman-{{$guid}}',
      correlation_id: '{{$guid}}',
    },
  },
};

/** Headers whose contract example is one fixed value but which must differ on every request. */
const UNIQUE_HEADERS = { 'x-correlation-id': '{{$guid}}', 'x-idempotency-key': '{{$guid}}' };

/** The example cursor of the contracts points nowhere in a real database (`after`: the event feed's). */
const DISABLED_QUERY_PARAMETERS = new Set(['cursor', 'after']);

const COLLECTION_PREREQUEST = [
  '// Operator endpoints inherit the bearer {{operatorToken}}: log in with {{username}} and',
  '// {{password}} when there is no token yet or it is about to expire.',
  "const expiresAt = Number(pm.collectionVariables.get('operatorTokenExpiresAt') || 0);",
  "if (!pm.collectionVariables.get('operatorToken') || Date.now() > expiresAt - 30000) {",
  '  pm.sendRequest(',
  '    {',
  "      url: pm.variables.replaceIn('{{customersBaseUrl}}/auth/token'),",
  "      method: 'POST',",
  "      header: { 'Content-Type': 'application/json' },",
  '      body: {',
  "        mode: 'raw',",
  "        raw: JSON.stringify({ username: pm.variables.get('username'), password: pm.variables.get('password') }),",
  '      },',
  '    },',
  '    (error, response) => {',
  '      if (error || response.code !== 200) {',
  "        console.error('operator log-in failed', error || response.code);",
  '        return;',
  '      }',
  '      const token = response.json();',
  "      pm.collectionVariables.set('operatorToken', token.access_token);",
  "      pm.collectionVariables.set('operatorTokenExpiresAt', String(Date.now() + token.expires_in * 1000));",
  '    },',
  '  );',
  '}',
];

const COLLECTION_TESTS = [
  "pm.test('no server error', () => pm.expect(pm.response.code).to.be.below(500));",
  "pm.test('X-Correlation-Id header is present', () => pm.response.to.have.header('X-Correlation-Id'));",
  "const contentType = pm.response.headers.get('Content-Type') || '';",
  'if (/json/.test(contentType)) {',
  "  pm.test('JSON body parses', () => pm.response.json());",
  '}',
];

const script = (listen, lines) => ({ listen, script: { type: 'text/javascript', exec: lines } });

/** A stable UUID-shaped id, so the same input always writes byte-identical files. */
function stableId(...parts) {
  const hex = createHash('sha256').update(parts.join('\n')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function convert(document) {
  const options = { parametersResolution: 'Example', folderStrategy: 'Tags', requestNameSource: 'Fallback' };
  return new Promise((resolve, reject) => {
    converter.convertV2({ type: 'json', data: document }, options, (error, result) => {
      if (error) return reject(error);
      if (!result.result) return reject(new Error(result.reason));
      resolve(result.output[0].data);
    });
  });
}

/** The contract's operations, keyed the way a converted request can be looked up. */
function operationsOf(document) {
  const operations = new Map();
  for (const [template, pathItem] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(pathItem)) {
      if (!operation?.responses) continue;
      operations.set(`${method.toUpperCase()} ${template}`, operation);
    }
  }
  return operations;
}

const requestKey = (request) =>
  `${request.method} /${request.url.path.map((segment) => segment.replace(/^:(.+)$/, '{$1}')).join('/')}`;

/** Replaces every `{{baseUrl}}` of one converted API, examples included, by the API's own variable. */
function renameBaseUrl(value, baseUrlVariable) {
  return JSON.parse(JSON.stringify(value).replaceAll('{{baseUrl}}', `{{${baseUrlVariable}}}`));
}

/** Drops the random ids openapi-to-postmanv2 puts on every item and example. */
function withoutRandomIds(value) {
  if (Array.isArray(value)) return value.map(withoutRandomIds);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'id')
      .map(([key, entry]) => [key, withoutRandomIds(entry)]),
  );
}

/** Operator JWT is inherited from the collection; the service token and public endpoints are explicit. */
function authFor(operation) {
  const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  if (schemes.length === 0) return { type: 'noauth' };
  if (schemes.includes('operatorJwt')) return undefined;
  if (schemes.includes('serviceToken')) {
    return { type: 'bearer', bearer: [{ key: 'token', value: '{{serviceToken}}', type: 'string' }] };
  }
  throw new Error(`unknown security schemes ${schemes.join(', ')} on ${operation.operationId}`);
}

const successStatus = (operation) =>
  Math.min(
    ...Object.keys(operation.responses)
      .map(Number)
      .filter((status) => status >= 200 && status < 300),
  );

function planRequest(item, operation) {
  const plan = RUN_PLAN[operation.operationId];
  const status = successStatus(operation);
  const request = { ...item.request };
  delete request.auth;
  const auth = authFor(operation);
  if (auth) request.auth = auth;
  request.header = request.header.map((header) => {
    const unique = UNIQUE_HEADERS[header.key.toLowerCase()];
    return unique ? { ...header, value: unique } : header;
  });
  request.url = {
    ...request.url,
    query: request.url.query.map((parameter) => ({
      ...parameter,
      // Postman sends query values as written; the APIs reject reserved characters such as
      // the `:` of a date-time unless they are percent-encoded.
      value: encodeURIComponent(parameter.value),
      ...(DISABLED_QUERY_PARAMETERS.has(parameter.key) ? { disabled: true } : {}),
    })),
    variable: request.url.variable.map((variable) => {
      const value = plan.pathVariables?.[variable.key];
      return value === undefined ? variable : { ...variable, value };
    }),
  };
  if (plan.body) request.body = { ...request.body, raw: rawJson(plan.body) };
  const event = [
    ...(plan.prerequest ? [script('prerequest', plan.prerequest)] : []),
    script('test', [
      plan.statuses
        ? `pm.test('status is ${plan.statuses.join(' or ')}', () => pm.expect(pm.response.code).to.be.oneOf([${plan.statuses.join(', ')}]));`
        : `pm.test('status is ${status}', () => pm.response.to.have.status(${status}));`,
      ...(plan.tests ?? []),
    ]),
  ];
  return { ...item, request, event };
}

const convertedOperations = new Set();

async function apiFolder(api) {
  const document = JSON.parse(
    await readFile(path.join(root, `generated/${api.contract}.openapi.json`), 'utf8'),
  );
  const operations = operationsOf(document);
  const converted = await convert(document);
  const runOrder = Object.keys(RUN_PLAN);
  const tagFolders = converted.item.map((tagFolder) => {
    const items = tagFolder.item.map((item) => {
      const operation = operations.get(requestKey(item.request));
      if (!operation || !(operation.operationId in RUN_PLAN)) {
        throw new Error(
          `${requestKey(item.request)} of contracts/${api.contract}.yaml has no entry in RUN_PLAN of scripts/postman.mjs`,
        );
      }
      convertedOperations.add(operation.operationId);
      return { operationId: operation.operationId, item: planRequest(item, operation) };
    });
    items.sort((a, b) => runOrder.indexOf(a.operationId) - runOrder.indexOf(b.operationId));
    return { ...tagFolder, item: items.map(({ item }) => item) };
  });
  return renameBaseUrl(
    withoutRandomIds({ name: api.folder, description: converted.info.description, item: tagFolders }),
    api.baseUrlVariable,
  );
}

async function render() {
  const folders = [];
  for (const api of APIS) folders.push(await apiFolder(api));
  const unused = Object.keys(RUN_PLAN).filter((operationId) => !convertedOperations.has(operationId));
  if (unused.length > 0) throw new Error(`RUN_PLAN names operations no contract has: ${unused.join(', ')}`);
  const variables = [
    'operatorToken',
    'operatorTokenExpiresAt',
    'customerId',
    'disposableCustomerId',
    'productId',
    'orderId',
    'webhookEndpointId',
    'webhookDeliveryId',
  ];
  const collection = {
    info: {
      _postman_id: stableId(COLLECTION_NAME),
      name: COLLECTION_NAME,
      description:
        'Generated by `npm run postman` from generated/*.openapi.json (contracts/*.yaml). Do not edit by hand.\n\n' +
        'Runs end to end against a freshly seeded system: `newman run ' +
        `${COLLECTION_FILE} -e ${ENVIRONMENT_FILE}\`. ` +
        'Ids a request needs are captured from earlier responses into collection variables.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    item: folders,
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{operatorToken}}', type: 'string' }] },
    event: [script('prerequest', COLLECTION_PREREQUEST), script('test', COLLECTION_TESTS)],
    variable: variables.map((key) => ({ key, value: '', type: 'string' })),
  };
  const environment = {
    id: stableId(COLLECTION_NAME, 'local'),
    name: `${COLLECTION_NAME} — local`,
    values: ENVIRONMENT.map(({ key, value, type = 'default' }) => ({ key, value, type, enabled: true })),
    _postman_variable_scope: 'environment',
  };
  return {
    [COLLECTION_FILE]: `${JSON.stringify(collection, null, 2)}\n`,
    [ENVIRONMENT_FILE]: `${JSON.stringify(environment, null, 2)}\n`,
  };
}

const outputs = await render();
await writeOrCheckOutputs({ root, label: 'postman/', command: 'npm run postman', outputs, isCheck });
