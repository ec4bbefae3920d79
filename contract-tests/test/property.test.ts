import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractValidator, sql } from '@b2b/service-kit';
import { TEST_AUTH, invalidOperatorTokens } from '@b2b/service-kit/testing';
import {
  CONTRACT_NAMES,
  loadContract,
  operationsOf,
  type ContractName,
  type Operation,
  type Parameter,
} from '../operations';
import {
  arbitraryFor,
  canBeInvalidParameter,
  derefSchema,
  invalidArbitraryFor,
  invalidParameterArbitrary,
} from '../schema-arbitrary';
import { DEV_OPERATOR, startSystem, type RunningSystem } from '../../test/support/system';

/**
 * Every operation of every contract, against the real system, with requests generated from
 * the contract itself: valid ones (which must get a documented answer) and ones broken in
 * exactly one way (which must get a documented 4xx problem). Every response is checked
 * against the contract: status, content type, body, and X-Correlation-Id.
 *
 * The invalid requests include, for every operation where they can occur, each kind of
 * input the system must refuse rather than read some other way: integers that are not
 * plain decimal, impossible date-times, text that is not Unicode, cursors of another list,
 * repeated identity headers and bodies of another media type; and none of them may write
 * anything.
 *
 * CONTRACT_RUNS=N sends N valid requests per operation and N/4 (at least 2) invalid ones
 * per kind of invalid input the operation can receive (default 20);
 * CONTRACT_SEED changes the fixed seed.
 */
const RUNS = Number(process.env.CONTRACT_RUNS ?? 20);
const SEED = Number(process.env.CONTRACT_SEED ?? 20261123);
/** Invalid requests per kind of invalid input and operation. */
const KIND_RUNS = Math.max(2, Math.round(RUNS / 4));
const VALID_CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type InvalidKind =
  | 'body-schema'
  | 'malformed-json'
  | 'path-parameter'
  | 'query-parameter'
  | 'header'
  | 'missing-idempotency-key'
  | 'no-credentials'
  | 'invalid-credentials'
  | 'wrong-credential-kind'
  | 'non-decimal-integer'
  | 'impossible-date-time'
  | 'ill-formed-text'
  | 'invalid-utf8'
  | 'foreign-cursor'
  | 'repeated-header'
  | 'wrong-media-type';

const EXPECTED_STATUSES: Record<InvalidKind, number[]> = {
  'body-schema': [400],
  'malformed-json': [400],
  // An asset name outside the enum may also be a plain 404.
  'path-parameter': [400, 404],
  'query-parameter': [400],
  header: [400],
  'missing-idempotency-key': [400],
  'no-credentials': [401],
  'invalid-credentials': [401],
  'wrong-credential-kind': [403],
  'non-decimal-integer': [400],
  'impossible-date-time': [400],
  'ill-formed-text': [400],
  'invalid-utf8': [400],
  'foreign-cursor': [400],
  'repeated-header': [400],
  'wrong-media-type': [415],
};

interface GeneratedRequest {
  kind: 'valid' | InvalidKind;
  pathValues: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  credential?: string;
  /** A string is sent as it is (malformed JSON); bytes as they are; anything else as JSON. */
  body?: unknown;
  /** Overrides application/json for a body. */
  contentType?: string;
  /** Header lines sent a second time, as separate lines. */
  repeatedHeaders?: Array<[string, string]>;
}

let system: RunningSystem;
let badTokens: string[];
interface RequestCount {
  contract: string;
  valid: number;
  invalid: number;
  validStatuses: Map<number, number>;
  invalidStatuses: Map<number, number>;
}
const counts = new Map<string, RequestCount>();
/** kind of invalid input → operations tried with it: every kind must be tried somewhere. */
const kindsTried = new Map<InvalidKind, number>();
const describeStatuses = (statuses: Map<number, number>) =>
  [...statuses.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, times]) => `${status}×${times}`)
    .join(' ');

let uniqueSequence = 0;
/** Idempotency keys must not collide by accident, or valid requests would turn into 409s. */
const uniqueKey = fc
  .stringMatching(/^[A-Za-z0-9._:-]{1,20}$/)
  .map((key) => `${key}-${(uniqueSequence += 1)}`);

beforeAll(async () => {
  system = await startSystem();
  badTokens = [...Object.values(await invalidOperatorTokens()), 'not-the-service-token-0123456789'];
}, 120_000);

afterAll(async () => {
  await system?.stop();
  const untried = (Object.keys(EXPECTED_STATUSES) as InvalidKind[]).filter((kind) => !kindsTried.has(kind));
  if (counts.size > 0 && untried.length > 0)
    throw new Error(`invalid kinds never tried: ${untried.join(', ')}`);
  const rows = [...counts.entries()].map(([operation, count]) => ({
    contract: count.contract,
    operation,
    valid: count.valid,
    invalid: count.invalid,
    total: count.valid + count.invalid,
    'valid → statuses': describeStatuses(count.validStatuses),
    'invalid → statuses': describeStatuses(count.invalidStatuses),
  }));
  if (rows.length > 0) {
    console.log(
      `Property-based contract suite (seed ${SEED}, ${RUNS} valid + ${RUNS} invalid runs per operation)`,
    );
    console.table(rows);
    console.log(`Requests sent in total: ${rows.reduce((sum, row) => sum + row.total, 0)}`);
    console.log(
      `Invalid kinds (operations × ${KIND_RUNS} requests): ` +
        [...kindsTried].map(([kind, operations]) => `${kind} ${operations}`).join(', '),
    );
  }
}, 60_000);

function idPoolFor(operation: Operation): number[] {
  const { fixtures } = system;
  if (operation.operationId === 'deleteCustomer') return fixtures.deletableCustomerIds;
  const resource = operation.pathTemplate.split('/').find((segment) => segment && segment !== 'internal');
  if (resource === 'products') return fixtures.productIds;
  if (resource === 'orders') return fixtures.orderIds;
  return fixtures.customerIds;
}

/** Real ids most of the time, any valid id sometimes. */
const realOrRandomId = (pool: number[], schemaArbitrary: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: schemaArbitrary });

/** A cursor the API really issued for a list operation, so valid requests page for real. */
const realCursors = new Map<string, string>();

async function fetchRealCursor(operation: Operation, baseUrl: string): Promise<void> {
  if (!operation.parameters.some((parameter) => parameter.name === 'cursor')) return;
  const response = await fetch(`${baseUrl}${operation.pathTemplate}?limit=1`, {
    headers: { Authorization: `Bearer ${system.token}` },
  });
  const page = (await response.json()) as { next_cursor?: string | null };
  if (page.next_cursor) realCursors.set(operation.operationId, page.next_cursor);
}

function validRequestArbitrary(operation: Operation, contract: unknown): fc.Arbitrary<GeneratedRequest> {
  const { fixtures } = system;
  const propertyOverrides = {
    customer_id: realOrRandomId(fixtures.customerIds, fc.integer({ min: 1, max: 2 ** 31 - 1 })),
    product_id: realOrRandomId(fixtures.productIds, fc.integer({ min: 1, max: 2 ** 31 - 1 })),
    idempotency_key: uniqueKey,
  };
  // Small arrays: order items drawn from a handful of fixture products repeat too often otherwise.
  const options = { contract, propertyOverrides, maxCollectionSize: 3 };
  const byLocation = (location: Parameter['in']) => operation.parameters.filter((p) => p.in === location);

  const pathValues = fc.record(
    Object.fromEntries(
      byLocation('path').map((parameter) => [
        parameter.name,
        parameter.name === 'id'
          ? realOrRandomId(idPoolFor(operation), arbitraryFor(parameter.schema, options))
          : arbitraryFor(parameter.schema, options),
      ]),
    ),
  );
  const query = fc
    .record(
      Object.fromEntries(
        byLocation('query').map((parameter) => {
          const arbitrary = arbitraryFor(parameter.schema, options);
          const realCursor = parameter.name === 'cursor' && realCursors.get(operation.operationId);
          // A made-up cursor is always 400 INVALID_CURSOR: send a real one most of the time.
          return [
            parameter.name,
            realCursor ? fc.oneof({ weight: 3, arbitrary: fc.constant(realCursor) }, arbitrary) : arbitrary,
          ];
        }),
      ),
      {
        requiredKeys: byLocation('query')
          .filter((p) => p.required)
          .map((p) => p.name) as never[],
      },
    )
    .map((values) =>
      // A cursor belongs to the list and filters that issued it (none here): a real cursor goes alone, with a page size.
      values.cursor !== undefined && values.cursor === realCursors.get(operation.operationId)
        ? { cursor: values.cursor, limit: values.limit }
        : values,
    );
  const headerParameters = byLocation('header');
  const headers = fc.record(
    Object.fromEntries(
      headerParameters.map((parameter) => [
        parameter.name,
        parameter.name === 'X-Idempotency-Key' ? uniqueKey : arbitraryFor(parameter.schema, options),
      ]),
    ),
    { requiredKeys: headerParameters.filter((p) => p.required).map((p) => p.name) as never[] },
  ) as fc.Arbitrary<Record<string, string>>;

  const credential =
    operation.schemes.length === 0
      ? fc.constant(undefined)
      : fc.constantFrom(
          ...operation.schemes.map((scheme) =>
            scheme === 'serviceToken' ? TEST_AUTH.serviceToken : system.token,
          ),
        );

  let body: fc.Arbitrary<unknown> = fc.constant(undefined);
  if (operation.bodySchema) {
    body = arbitraryFor(operation.bodySchema, options);
    if (operation.operationId === 'issueToken') {
      // Random credentials are only ever 401: log in for real half of the time.
      body = fc.oneof(fc.constant(DEV_OPERATOR), body);
    }
  }
  return fc
    .record({ pathValues, query, headers, credential, body })
    .map((request) => ({ kind: 'valid', ...request }));
}

/** For each kind of invalid input the operation can receive, requests broken in exactly that way. */
function invalidRequestArbitraries(
  operation: Operation,
  contract: unknown,
  validator: ContractValidator,
): Map<InvalidKind, fc.Arbitrary<GeneratedRequest>> {
  const base = validRequestArbitrary(operation, contract);
  const options = { contract };
  const mutations = new Map<InvalidKind, fc.Arbitrary<GeneratedRequest>[]>();
  const mutate = (
    kind: InvalidKind,
    change: (request: GeneratedRequest) => fc.Arbitrary<Partial<GeneratedRequest>>,
  ) =>
    mutations.set(kind, [
      ...(mutations.get(kind) ?? []),
      base.chain((request) => change(request).map((changed) => ({ ...request, ...changed, kind }))),
    ]);

  if (operation.bodySchema) {
    const brokenBody = invalidArbitraryFor(operation.bodySchema, options).filter(
      (body) =>
        typeof body !== 'symbol' &&
        body !== undefined &&
        validator.requestBody(operation.method, operation.pathTemplate, body).length > 0,
    );
    mutate('body-schema', () => brokenBody.map((body) => ({ body })));
    mutate('malformed-json', () =>
      fc.constantFrom('{"broken": ', '{name: unquoted}', '[1, 2').map((body) => ({ body })),
    );
  }
  for (const parameter of operation.parameters) {
    if (!canBeInvalidParameter(parameter.schema, contract)) continue;
    const invalid = invalidParameterArbitrary(parameter.schema, contract);
    if (parameter.in === 'path') {
      mutate('path-parameter', (request) =>
        invalid.map((value) => ({ pathValues: { ...request.pathValues, [parameter.name]: value } })),
      );
    } else if (parameter.in === 'query') {
      mutate('query-parameter', (request) =>
        invalid.map((value) => ({ query: { ...request.query, [parameter.name]: value } })),
      );
    } else if (parameter.in === 'header') {
      mutate('header', (request) =>
        invalid.map((value) => ({ headers: { ...request.headers, [parameter.name]: value } })),
      );
      if (parameter.required) {
        mutate('missing-idempotency-key', (request) =>
          fc.constant({
            headers: Object.fromEntries(
              Object.entries(request.headers).filter(([name]) => name !== parameter.name),
            ),
          }),
        );
      }
    }
  }
  addStrictEdgeMutations(operation, contract, mutate);
  if (operation.schemes.length > 0) {
    mutate('no-credentials', () => fc.constant({ credential: undefined }));
    mutate('invalid-credentials', () => fc.constantFrom(...badTokens).map((credential) => ({ credential })));
    if (operation.schemes.length === 1) {
      const wrong = operation.schemes[0] === 'serviceToken' ? system.token : TEST_AUTH.serviceToken;
      mutate('wrong-credential-kind', () => fc.constant({ credential: wrong }));
    }
  }
  return new Map([...mutations].map(([kind, arbitraries]) => [kind, fc.oneof(...arbitraries)]));
}

/** What a request could have written: rows of every table the APIs write, and the stock on hand. */
async function writtenState(): Promise<unknown> {
  const [row] = await system.db.query(sql`
    SELECT (SELECT COUNT(*) FROM customers) AS customers,
           (SELECT COUNT(*) FROM customers WHERE deleted_at IS NOT NULL) AS deleted_customers,
           (SELECT MAX(updated_at) FROM customers) AS customers_updated,
           (SELECT COUNT(*) FROM products) AS products,
           (SELECT SUM(stock) FROM products) AS stock,
           (SELECT MAX(updated_at) FROM products) AS products_updated,
           (SELECT COUNT(*) FROM orders) AS orders,
           (SELECT MAX(updated_at) FROM orders) AS orders_updated,
           (SELECT COUNT(*) FROM order_items) AS order_items,
           (SELECT COUNT(*) FROM idempotency_keys) AS idempotency_keys
  `);
  return row;
}

/** Spellings of a plain integer that a lenient parser reads as that integer. */
const nonDecimalSpellings = (value: number) => [
  `0x${value.toString(16)}`,
  `${value}e0`,
  `+${value}`,
  `${value}.0`,
  ` ${value}`,
  `0${value}`,
];

const IMPOSSIBLE_DATE_TIMES = [
  '2026-02-31T00:00:00Z',
  '2026-02-29T12:00:00Z',
  '2026-04-31T00:00:00Z',
  '2026-01-01T24:00:00Z',
  '2026-06-30T23:59:60Z',
  '2026-01-01T00:00:00.1234Z',
  '2026-01-01T00:00:00+24:00',
];

/** A cursor made by hand, or one of another list: never accepted. */
const foreignCursors = (operation: Operation) => [
  Buffer.from('[18]').toString('base64url'),
  Buffer.from(JSON.stringify({ id: 42 })).toString('base64url'),
  ...[...realCursors]
    .filter(([operationId]) => operationId !== operation.operationId)
    .map(([, cursor]) => cursor),
];

/** The same value with one string replaced by text that is not Unicode (a lone surrogate). */
function withIllFormedText(value: unknown): unknown {
  if (typeof value === 'string') return `${value}\ud800`;
  if (Array.isArray(value))
    return value.length > 0 ? [withIllFormedText(value[0]), ...value.slice(1)] : value;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const index = entries.findIndex(([, item]) => JSON.stringify(item).includes('"'));
    if (index < 0) return value;
    entries[index] = [entries[index]![0], withIllFormedText(entries[index]![1])];
    return Object.fromEntries(entries);
  }
  return value;
}

/** The kinds of input every part refuses at its edge, wherever the operation can receive them. */
function addStrictEdgeMutations(
  operation: Operation,
  contract: unknown,
  mutate: (
    kind: InvalidKind,
    change: (request: GeneratedRequest) => fc.Arbitrary<Partial<GeneratedRequest>>,
  ) => void,
): void {
  for (const parameter of operation.parameters) {
    const schema = derefSchema(contract, parameter.schema) as { type?: string; format?: string };
    if (schema.type === 'integer' && (parameter.in === 'path' || parameter.in === 'query')) {
      const location = parameter.in === 'path' ? 'pathValues' : 'query';
      mutate('non-decimal-integer', (request) => {
        const valid = Number(request[location][parameter.name] ?? 1) || 1;
        return fc
          .constantFrom(...nonDecimalSpellings(valid))
          .map((spelling) => ({ [location]: { ...request[location], [parameter.name]: spelling } }));
      });
    }
    if (schema.format === 'date-time' && parameter.in === 'query') {
      mutate('impossible-date-time', (request) =>
        fc
          .constantFrom(...IMPOSSIBLE_DATE_TIMES)
          .map((value) => ({ query: { ...request.query, [parameter.name]: value } })),
      );
    }
    if (parameter.name === 'cursor' && parameter.in === 'query') {
      mutate('foreign-cursor', (request) =>
        fc
          .constantFrom(...foreignCursors(operation))
          .map((cursor) => ({ query: { ...request.query, cursor } })),
      );
    }
  }
  if (operation.bodySchema) {
    mutate('ill-formed-text', (request) => {
      const body = withIllFormedText(request.body);
      return fc.constant(
        JSON.stringify(body) === JSON.stringify(request.body) ? { body: '"\ud800"' } : { body },
      );
    });
    mutate('invalid-utf8', () =>
      fc
        .constantFrom('{"name":"\xff"}', '{"a":"\xc3\x28"}')
        .map((text) => ({ body: Buffer.from(text, 'latin1') })),
    );
    mutate('wrong-media-type', () =>
      fc
        .constantFrom(
          'text/plain',
          'application/octet-stream',
          'application/x-www-form-urlencoded',
          'application/xml',
        )
        .map((contentType) => ({ contentType })),
    );
  }
  const identityHeaders: Array<[string, (request: GeneratedRequest) => string | undefined]> = [
    ['Authorization', (request) => (request.credential ? `Bearer ${request.credential}` : undefined)],
    ['X-Correlation-Id', (request) => request.headers['X-Correlation-Id']],
    ['X-Idempotency-Key', (request) => request.headers['X-Idempotency-Key']],
  ];
  for (const [name, valueOf] of identityHeaders) {
    mutate('repeated-header', (request) =>
      fc.constant({
        headers: { ...request.headers, [name]: valueOf(request) ?? 'first-value' },
        repeatedHeaders: [[name, 'second-value']],
      }),
    );
  }
}

async function send(baseUrl: string, operation: Operation, request: GeneratedRequest) {
  const path = operation.pathTemplate.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String(request.pathValues[name])),
  );
  const query = new URLSearchParams(
    Object.entries(request.query)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]): [string, string] => [name, String(value)]),
  ).toString();
  const headers: Record<string, string | string[]> = { ...request.headers };
  if (request.credential && !('Authorization' in headers))
    headers.Authorization = `Bearer ${request.credential}`;
  let body: string | Buffer | undefined;
  if (request.body !== undefined) {
    body =
      Buffer.isBuffer(request.body) || (typeof request.body === 'string' && request.kind !== 'valid')
        ? (request.body as string | Buffer)
        : JSON.stringify(request.body);
    headers['Content-Type'] = request.contentType ?? 'application/json';
  }
  for (const [name, value] of request.repeatedHeaders ?? []) {
    headers[name] = [headers[name] as string, value];
  }
  const url = `${baseUrl}${path}${query ? `?${query}` : ''}`;
  const response = await sendOverHttp(url, operation.method, headers, body);
  const text = response.text;
  const contentType = response.headers.get('content-type');
  let parsed: unknown = text || undefined;
  if (/json/.test(contentType ?? '') && text) parsed = JSON.parse(text);
  return { url, response, text, contentType, body: parsed };
}

/**
 * node:http rather than fetch: it sends repeated header lines as separate lines and a
 * body's bytes exactly as given, as a misbehaving client would.
 */
function sendOverHttp(
  url: string,
  method: string,
  headers: Record<string, string | string[]>,
  body: string | Buffer | undefined,
): Promise<{ status: number; headers: Headers; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const item of [value ?? ''].flat()) responseHeaders.append(name, item);
        }
        resolve({
          status: incoming.statusCode ?? 0,
          headers: responseHeaders,
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

for (const contractName of CONTRACT_NAMES) {
  const contract = loadContract(contractName);
  const validator = new ContractValidator(contract);

  describe(`the ${contractName} contract, property-based`, () => {
    for (const operation of operationsOf(contractName, contract)) {
      it(`answers ${operation.method} ${operation.pathTemplate} (${operation.operationId}) as documented, for valid and invalid requests`, async () => {
        const label = `${contractName}.${operation.operationId}`;
        const count: RequestCount = {
          contract: contractName,
          valid: 0,
          invalid: 0,
          validStatuses: new Map(),
          invalidStatuses: new Map(),
        };
        counts.set(label, count);
        const baseUrl = system.urls[contractName as ContractName];
        await fetchRealCursor(operation, baseUrl);

        const check = async (request: GeneratedRequest) => {
          const sent = await send(baseUrl, operation, request);
          const { status } = sent.response;
          const isValid = request.kind === 'valid';
          count[isValid ? 'valid' : 'invalid'] += 1;
          const statuses = isValid ? count.validStatuses : count.invalidStatuses;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          const context = `${request.kind}: ${operation.method} ${sent.url} ${JSON.stringify(request.body) ?? ''} → ${status} ${sent.text.slice(0, 400)}`;

          const isDocumentedUnavailable = [503, 504].includes(status) && operation.statuses.includes(status);
          expect(status < 500 || isDocumentedUnavailable, `5xx: ${context}`).toBe(true);
          const violations = validator.response(
            operation.method,
            operation.pathTemplate,
            status,
            sent.contentType,
            sent.body,
          );
          expect(violations, `contract violation ${JSON.stringify(violations)}: ${context}`).toEqual([]);
          const correlationId = sent.response.headers.get('x-correlation-id');
          expect(correlationId, `no X-Correlation-Id: ${context}`).toBeTruthy();
          // The orchestrator also takes a correlation id in its body; the contract does not
          // say which of the two wins when both are sent, so either is accepted.
          const sentCorrelationIds = [
            request.headers['X-Correlation-Id'],
            (request.body as { correlation_id?: unknown } | undefined)?.correlation_id,
          ].filter((id): id is string => typeof id === 'string' && VALID_CORRELATION_ID.test(id));
          if (sentCorrelationIds.length > 0 && request.kind === 'valid') {
            expect(sentCorrelationIds, `X-Correlation-Id not taken from the request: ${context}`).toContain(
              correlationId,
            );
          }
          const bodyCorrelationId = (sent.body as { correlationId?: unknown } | undefined)?.correlationId;
          if (typeof bodyCorrelationId === 'string') {
            expect(bodyCorrelationId, `correlationId differs from X-Correlation-Id: ${context}`).toBe(
              correlationId,
            );
          }
          if (request.kind !== 'valid') {
            expect(EXPECTED_STATUSES[request.kind], `unexpected status: ${context}`).toContain(status);
            expect(sent.contentType, `not problem+json: ${context}`).toMatch(/^application\/problem\+json/);
          }
        };

        const parameters = { seed: SEED, numRuns: RUNS, endOnFailure: true };
        await fc.assert(fc.asyncProperty(validRequestArbitrary(operation, contract), check), parameters);
        // Every kind of invalid input the operation can receive, each tried on its own.
        const before = await writtenState();
        for (const [kind, arbitrary] of invalidRequestArbitraries(operation, contract, validator)) {
          await fc.assert(fc.asyncProperty(arbitrary, check), { ...parameters, numRuns: KIND_RUNS });
          kindsTried.set(kind, (kindsTried.get(kind) ?? 0) + 1);
        }
        expect(await writtenState(), 'an invalid request wrote something').toEqual(before);
      }, 120_000);
    }
  });
}
