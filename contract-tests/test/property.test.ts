import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractValidator } from '@b2b/service-kit';
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
 * CONTRACT_RUNS=N sends N valid and N invalid requests per operation (default 20);
 * CONTRACT_SEED changes the fixed seed.
 */
const RUNS = Number(process.env.CONTRACT_RUNS ?? 20);
const SEED = Number(process.env.CONTRACT_SEED ?? 20261123);
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
  | 'wrong-credential-kind';

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
};

interface GeneratedRequest {
  kind: 'valid' | InvalidKind;
  pathValues: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  credential?: string;
  /** A string is sent as it is (malformed JSON); anything else as JSON. */
  body?: unknown;
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
  const query = fc.record(
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

function invalidRequestArbitrary(
  operation: Operation,
  contract: unknown,
  validator: ContractValidator,
): fc.Arbitrary<GeneratedRequest> {
  const base = validRequestArbitrary(operation, contract);
  const options = { contract };
  const mutations: fc.Arbitrary<GeneratedRequest>[] = [];
  const mutate = (
    kind: InvalidKind,
    change: (request: GeneratedRequest) => fc.Arbitrary<Partial<GeneratedRequest>>,
  ) =>
    mutations.push(
      base.chain((request) => change(request).map((changed) => ({ ...request, ...changed, kind }))),
    );

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
  if (operation.schemes.length > 0) {
    mutate('no-credentials', () => fc.constant({ credential: undefined }));
    mutate('invalid-credentials', () => fc.constantFrom(...badTokens).map((credential) => ({ credential })));
    if (operation.schemes.length === 1) {
      const wrong = operation.schemes[0] === 'serviceToken' ? system.token : TEST_AUTH.serviceToken;
      mutate('wrong-credential-kind', () => fc.constant({ credential: wrong }));
    }
  }
  return fc.oneof(...mutations);
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
  const headers: Record<string, string> = { ...request.headers };
  if (request.credential) headers.Authorization = `Bearer ${request.credential}`;
  let body: string | undefined;
  if (request.body !== undefined) {
    body =
      typeof request.body === 'string' && request.kind === 'malformed-json'
        ? request.body
        : JSON.stringify(request.body);
    headers['Content-Type'] = 'application/json';
  }
  const url = `${baseUrl}${path}${query ? `?${query}` : ''}`;
  const response = await fetch(url, { method: operation.method, headers, body });
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  let parsed: unknown = text || undefined;
  if (/json/.test(contentType ?? '') && text) parsed = JSON.parse(text);
  return { url, response, text, contentType, body: parsed };
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
        await fc.assert(
          fc.asyncProperty(invalidRequestArbitrary(operation, contract, validator), check),
          parameters,
        );
      }, 120_000);
    }
  });
}
