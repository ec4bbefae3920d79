import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractAsserter, operatorToken, type ChildService } from '@b2b/service-kit/testing';
import { startOfflineOrchestrator } from '@b2b/lambda-orchestrator/testing';
import { createHandler } from '../src/handler';
import type { ApiGatewayProxyEvent } from '../src/http-event';
import {
  ORCHESTRATOR_CONTRACT,
  ORCHESTRATOR_PATH,
  expectContractResult,
  orchestratorEvent,
  testConfig,
  uniqueKey,
} from './support/orchestrator';

/**
 * The orchestrator's front door behaves like the APIs': the same media types, one value
 * per identity header, strict JSON, and every answer problem+json with the same security
 * headers. Nothing here reaches an upstream (they point at a closed port).
 */
const handle = createHandler(testConfig());
let token: string;
const validBody = () => ({
  customer_id: 1,
  items: [{ product_id: 1, qty: 1 }],
  idempotency_key: uniqueKey(),
});

beforeAll(async () => {
  token = await operatorToken();
});

async function answerTo(event: ApiGatewayProxyEvent) {
  const result = await handle(event);
  return { result, body: expectContractResult(result) };
}

describe('the orchestrator front door', () => {
  it.each([
    'text/plain',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
    'application/vnd.api+json',
    'application/merge-patch+json',
    'application/json; charset=utf-8; profile=x',
  ])(
    'when a JSON body is sent as %s, then 415 as in the APIs, and no order is placed',
    async (contentType) => {
      const event = orchestratorEvent({ token, body: validBody(), headers: { 'Content-Type': contentType } });

      const { result, body } = await answerTo(event);

      expect(result.statusCode).toBe(415);
      expect(body.detail).toBe(`The request body must be application/json (got ${contentType}).`);
    },
  );

  it('when the JSON body starts with a UTF-8 byte order mark, then it is read as the APIs read it (RFC 8259 §8.1 lets a parser ignore it)', async () => {
    const event = { ...orchestratorEvent({ token }), body: `\uFEFF${JSON.stringify({ customer_id: 1 })}` };

    const { result, body } = await answerTo(event);

    // Read as JSON (not 400 INVALID_JSON): the missing fields are what is refused.
    expect(result.statusCode).toBe(400);
    expect(body.code).toBe('VALIDATION_FAILED');
  });

  it.each(['gzip', 'deflate', 'br', 'x-unknown'])(
    'when a JSON body is labelled Content-Encoding: %s, then 415 UNSUPPORTED_CONTENT_ENCODING with Accept-Encoding: identity, and no order is placed',
    async (coding) => {
      const event = orchestratorEvent({ token, body: validBody(), headers: { 'Content-Encoding': coding } });

      const { result, body } = await answerTo(event);

      expect(result.statusCode).toBe(415);
      expect(result.headers['Accept-Encoding']).toBe('identity');
      expect(body.code).toBe('UNSUPPORTED_CONTENT_ENCODING');
    },
  );

  it.each([
    [{ 'Content-Encoding': 'br' }, 'UNSUPPORTED_CONTENT_ENCODING'],
    [{ 'Content-Type': 'application/vnd.api+json' }, 'UNSUPPORTED_MEDIA_TYPE'],
  ])(
    'when a body with %o comes without credentials, then 415 %s before 401, as in the APIs',
    async (headers, code) => {
      const { result, body } = await answerTo(orchestratorEvent({ body: validBody(), headers }));

      expect(result.statusCode).toBe(415);
      expect(body.code).toBe(code);
    },
  );

  it('when the body has no Content-Type at all, then 415', async () => {
    const event = {
      ...orchestratorEvent({ token, body: validBody() }),
      headers: { Authorization: `Bearer ${token}` },
    };

    expect((await answerTo(event)).result.statusCode).toBe(415);
  });

  it.each([['false'], ['null'], ['[]'], ['"text"'], ['42']])(
    'when the body is the JSON %s (not an object), then 400 problem+json',
    async (json) => {
      const { result, body } = await answerTo(orchestratorEvent({ token, body: json }));

      expect(result.statusCode).toBe(400);
      expect(body.code).toBe('VALIDATION_FAILED');
    },
  );

  it.each(['Authorization', 'X-Correlation-Id', 'X-Idempotency-Key'])(
    'when %s comes twice (multiValueHeaders), then 400 naming it before anything else is read',
    async (name) => {
      const event = orchestratorEvent({ token, body: validBody() });
      const first = name === 'Authorization' ? `Bearer ${token}` : 'first-value';
      event.multiValueHeaders = {
        ...Object.fromEntries(Object.entries(event.headers ?? {}).map(([key, value]) => [key, [value!]])),
        [name]: [first, 'second-value'],
      };

      const { result, body } = await answerTo(event);

      expect(result.statusCode).toBe(400);
      expect(body.errors).toEqual([{ field: `header.${name.toLowerCase()}`, message: 'must be sent once' }]);
    },
  );

  it('when the same header arrives under two spellings of its name, then it counts as repeated', async () => {
    const event = orchestratorEvent({ token, body: validBody() });
    event.multiValueHeaders = {
      'Content-Type': ['application/json'],
      authorization: [`Bearer ${token}`],
      AUTHORIZATION: [`Bearer ${token}`],
    };

    expect((await answerTo(event)).result.statusCode).toBe(400);
  });

  it('when a string of the body holds a lone surrogate, then 400 naming the field', async () => {
    const body = '{"customer_id":1,"items":[{"product_id":1,"qty":1}],"idempotency_key":"key-\\udc00"}';

    const answer = await answerTo(orchestratorEvent({ token, body }));

    expect(answer.result.statusCode).toBe(400);
    expect(answer.body.errors).toEqual([
      { field: 'body.idempotency_key', message: 'must be well-formed Unicode text' },
    ]);
  });

  it('when a base64 body is not UTF-8, then 400 INVALID_JSON', async () => {
    const event = {
      ...orchestratorEvent({ token }),
      body: Buffer.from('{"idempotency_key":"caf\xe9"}', 'latin1').toString('base64'),
      isBase64Encoded: true,
    };

    const { result, body } = await answerTo(event);

    expect(result.statusCode).toBe(400);
    expect(body.code).toBe('INVALID_JSON');
  });

  it('when it answers, then with nosniff, no-store and a Content-Security-Policy, like the APIs', async () => {
    const { result } = await answerTo(orchestratorEvent({ token, body: 'false' }));

    expect(result.headers).toMatchObject({
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    });
  });
});

/**
 * The same front door as serverless-offline hands it the request: it parses JSON bodies of
 * more than one character itself and passes a falsy result (`false`, ` 0`) on as that
 * value instead of the text that was sent, so the handler is tested here with the event as
 * the local gateway builds it.
 */
describe('the orchestrator front door under serverless-offline', () => {
  const expectContractResponse = contractAsserter(ORCHESTRATOR_CONTRACT);
  let orchestrator: ChildService;
  let url: string;

  beforeAll(async () => {
    // Nothing here may reach an upstream: they point at a port nobody listens on.
    const offline = await startOfflineOrchestrator({
      ordersApiBase: 'http://127.0.0.1:1',
    });
    orchestrator = offline.service;
    url = offline.url + ORCHESTRATOR_PATH;
  });

  afterAll(async () => {
    await orchestrator?.stop();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...headers },
      body,
    });

  it('when the body is a JSON value that is not an object (false, 0, " 0", "", true, null, [], a string holding an order), then 400 problem+json VALIDATION_FAILED naming body, never a 502 with no body, never an order', async () => {
    // serverless-offline parsed JSON bodies itself and passed the result on: a string holding
    // an order reached the handler as that order's text (201). It now hands over the body as
    // sent, as API Gateway does (patches/serverless-offline+13.9.0.patch).
    const orderAsString = JSON.stringify(JSON.stringify(validBody()));
    for (const json of ['false', '0', ' 0', '""', 'true', 'null', '[]', '"x"', orderAsString]) {
      const response = await post(json);

      expect(response.status, `${json}: ${orchestrator.output()}`).toBe(400);
      const problem = (await expectContractResponse('post', ORCHESTRATOR_PATH, response)) as any;
      expect(problem.code, json).toBe('VALIDATION_FAILED');
      expect(
        problem.errors.map((error: { field: string }) => error.field),
        json,
      ).toEqual(['body']);
    }
  });

  it.each([
    [{ 'Content-Encoding': 'gzip' }, 'UNSUPPORTED_CONTENT_ENCODING'],
    [{ 'Content-Type': 'application/vnd.api+json' }, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('when a valid order comes with %o, then 415 %s', async (headers, code) => {
    const response = await post(JSON.stringify(validBody()), headers);

    expect(response.status).toBe(415);
    const problem = (await expectContractResponse('post', ORCHESTRATOR_PATH, response)) as any;
    expect(problem.code).toBe(code);
  });
});
