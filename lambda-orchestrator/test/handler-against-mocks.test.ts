import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Middleware } from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH, freePort, invalidOperatorTokens, operatorToken } from '@b2b/service-kit/testing';
import { idempotencyKeys } from '../src/create-and-confirm-order';
import { createHandler, type ClientOverrides } from '../src/handler';
import { createOrdersClient } from '@b2b/contracts/orders';
import { createLogger, currentCorrelationId } from '@b2b/service-kit';
import { expectContractResult, orchestratorEvent, testConfig, uniqueKey } from './support/orchestrator';
import { startPrismMock, type PrismMock } from './support/prism';

/**
 * The handler called directly with API Gateway events, against a Prism mock of the Orders
 * contract (the one API the orchestrator calls). Prism answers each operation's documented example; a `Prefer`
 * header (added by the test's clients, per step) makes it answer another documented status.
 */
type Step = 'create' | 'confirm' | 'order' | 'cancel';

/** What the test's clients change in Prism's answers, which are the contract's fixed examples. */
interface AnswerChanges {
  /**
   * Steps answered as replays. Prism sends every documented header, so it always says
   * `Idempotent-Replayed: true`; the clients drop that header for every other step.
   */
  replayed?: Step[];
  /** The order's status in the answer of a step (the examples show one status each). */
  orderStatus?: Partial<Record<Step, 'CREATED' | 'CONFIRMED' | 'CANCELED'>>;
}

interface DownstreamCall {
  step: Step;
  authorization: string | null;
  correlationId: string | null;
  idempotencyKey: string | null;
  /** The JSON body the orchestrator sent, if any. */
  body: unknown;
}

function stepOf(request: Request): Step {
  const { pathname } = new URL(request.url);
  if (pathname.endsWith('/confirm')) return 'confirm';
  if (pathname.endsWith('/cancel')) return 'cancel';
  if (request.method === 'GET') return 'order';
  return 'create';
}

describe('POST /orchestrator/create-and-confirm-order against contract mocks', () => {
  let ordersMock: PrismMock;
  let token: string;

  beforeAll(async () => {
    ordersMock = await startPrismMock('orders');
    token = await operatorToken();
  });

  afterAll(async () => {
    await ordersMock?.stop();
  });

  /**
   * A handler whose clients ask the mocks for the given `Prefer` per step, change the
   * answers as told, and record every call; its log lines are kept in `logLines`.
   */
  function handlerPreferring(
    prefer: Partial<Record<Step, string>> = {},
    changes: AnswerChanges = {},
    config = testConfig(),
  ) {
    const calls: DownstreamCall[] = [];
    const recordAndPrefer: Middleware = {
      async onRequest({ request }) {
        const step = stepOf(request);
        const body = await request.clone().text();
        calls.push({
          step,
          authorization: request.headers.get('Authorization'),
          correlationId: request.headers.get('X-Correlation-Id'),
          idempotencyKey: request.headers.get('X-Idempotency-Key'),
          body: body === '' ? undefined : JSON.parse(body),
        });
        if (prefer[step]) request.headers.set('Prefer', prefer[step]);
        return request;
      },
      async onResponse({ request, response }) {
        const step = stepOf(request);
        const headers = new Headers(response.headers);
        if (!changes.replayed?.includes(step)) headers.delete('Idempotent-Replayed');
        const status = changes.orderStatus?.[step];
        if (!status) return new Response(response.body, { status: response.status, headers });
        headers.delete('Content-Length');
        const order = { ...((await response.json()) as object), status };
        return new Response(JSON.stringify(order), { status: response.status, headers });
      },
    };
    const options = (baseUrl: string) => ({
      baseUrl,
      bearerToken: TEST_AUTH.serviceToken,
      timeoutMs: config.upstreamTimeoutMs,
      correlationId: currentCorrelationId,
    });
    const clients: ClientOverrides = { orders: createOrdersClient(options(ordersMock.url)) };
    clients.orders!.use(recordAndPrefer);
    const logLines: Array<Record<string, any>> = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    clients.logger = createLogger({ service: 'lambda-orchestrator', level: 'info', destination });
    return {
      handle: createHandler(config, clients),
      calls,
      steps: () => calls.map((call) => call.step),
      logLines,
    };
  }

  const validBody = (overrides: Record<string, unknown> = {}) => ({
    customer_id: 1,
    items: [
      { product_id: 1, qty: 2 },
      { product_id: 3, qty: 5 },
    ],
    idempotency_key: uniqueKey(),
    ...overrides,
  });

  describe('when the customer exists and the order is created and confirmed', () => {
    it('then 201 with the consolidated document, the customer as the order keeps them, through two calls with the service token and keys derived from the operator and key', async () => {
      const { handle, calls } = handlerPreferring();
      const body = validBody();

      const result = await handle(orchestratorEvent({ body, token }));

      expect(result.statusCode).toBe(201);
      const document = expectContractResult(result);
      expect(document).toMatchObject({
        success: true,
        correlationId: result.headers['X-Correlation-Id'],
        data: {
          customer: {
            id: 1,
            name: 'Acme Industrial Supply',
            email: 'purchasing@acme-industrial.example',
            phone: '+1 415 555 0100',
          },
          order: { status: 'CONFIRMED', total_cents: expect.any(Number) },
        },
      });
      expect(Object.keys(document.data.customer).sort()).toEqual(['email', 'id', 'name', 'phone']);
      expect(Object.keys(document.data.order.items[0]).sort()).toEqual([
        'product_id',
        'qty',
        'subtotal_cents',
        'unit_price_cents',
      ]);
      const keys = idempotencyKeys('test-operator', body.idempotency_key);
      expect(calls.map(({ step, idempotencyKey }) => [step, idempotencyKey])).toEqual([
        ['create', keys.create],
        ['confirm', keys.confirm],
      ]);
      expect(calls.every((call) => call.authorization === `Bearer ${TEST_AUTH.serviceToken}`)).toBe(true);
    });
  });

  describe('correlation id', () => {
    it('when the body has correlation_id, then it wins over the header and travels to every call', async () => {
      const { handle, calls } = handlerPreferring();
      const result = await handle(
        orchestratorEvent({
          body: validBody({ correlation_id: 'from-body-123' }),
          token,
          headers: { 'x-correlation-id': 'from-header-456' },
        }),
      );
      expect(result.statusCode).toBe(201);
      expect(result.headers['X-Correlation-Id']).toBe('from-body-123');
      expect(expectContractResult(result).correlationId).toBe('from-body-123');
      expect(calls.map((call) => call.correlationId)).toEqual(['from-body-123', 'from-body-123']);
    });

    it('when only the X-Correlation-Id header is given, then it is used everywhere', async () => {
      const { handle, calls } = handlerPreferring();
      const result = await handle(
        orchestratorEvent({ body: validBody(), token, headers: { 'X-Correlation-Id': 'from-header-456' } }),
      );
      expect(result.headers['X-Correlation-Id']).toBe('from-header-456');
      expect(expectContractResult(result).correlationId).toBe('from-header-456');
      expect(new Set(calls.map((call) => call.correlationId))).toEqual(new Set(['from-header-456']));
    });

    it('when none is given, then one is generated, answered and passed on', async () => {
      const { handle, calls } = handlerPreferring();
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      const generated = result.headers['X-Correlation-Id'];
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(calls.map((call) => call.correlationId))).toEqual(new Set([generated]));
    });

    it('when the request fails, then the problem carries the correlation id too', async () => {
      const { handle } = handlerPreferring();
      const result = await handle(
        orchestratorEvent({ body: '{', token, headers: { 'X-Correlation-Id': 'broken-request-1' } }),
      );
      expect(result.headers['X-Correlation-Id']).toBe('broken-request-1');
      expect(expectContractResult(result).correlationId).toBe('broken-request-1');
    });
  });

  describe('invalid input', () => {
    it.each([
      ['customer_id is missing', { customer_id: undefined }, 'body.customer_id'],
      ['items is empty', { items: [] }, 'body.items'],
      ['a qty is 0', { items: [{ product_id: 1, qty: 0 }] }, 'body.items.0.qty'],
      ['a qty is a string', { items: [{ product_id: 1, qty: '2' }] }, 'body.items.0.qty'],
      ['the idempotency key has spaces', { idempotency_key: 'not a key' }, 'body.idempotency_key'],
      ['there is an unknown property', { discount: 10 }, 'body.discount'],
    ])(
      'when %s, then 400 VALIDATION_FAILED naming the field and nothing is called',
      async (_case, change, field) => {
        const { handle, calls } = handlerPreferring();
        const result = await handle(orchestratorEvent({ body: validBody(change), token }));
        expect(result.statusCode).toBe(400);
        const problem = expectContractResult(result);
        expect(problem.code).toBe('VALIDATION_FAILED');
        expect(problem.errors.map((error: { field: string }) => error.field)).toContain(field);
        expect(calls).toEqual([]);
      },
    );

    it('when the X-Correlation-Id header breaks its contract, then 400 VALIDATION_FAILED and nothing is called', async () => {
      const { handle, calls } = handlerPreferring();
      const result = await handle(
        orchestratorEvent({ body: validBody(), token, headers: { 'X-Correlation-Id': 'not a valid id!' } }),
      );
      expect(result.statusCode).toBe(400);
      const problem = expectContractResult(result);
      expect(problem.errors.map((error: { field: string }) => error.field)).toEqual([
        'header.x-correlation-id',
      ]);
      expect(calls).toEqual([]);
    });

    it('when the body is not valid JSON, then 400 INVALID_JSON', async () => {
      const { handle, calls } = handlerPreferring();
      const result = await handle(orchestratorEvent({ body: '{"customer_id": 1,', token }));
      expect(result.statusCode).toBe(400);
      expect(expectContractResult(result)).toMatchObject({ code: 'INVALID_JSON', status: 400 });
      expect(result.body).not.toMatch(/at .*\.ts/);
      expect(calls).toEqual([]);
    });

    it('when there is no body, then 400 VALIDATION_FAILED', async () => {
      const { handle } = handlerPreferring();
      const result = await handle(orchestratorEvent({ token }));
      expect(result.statusCode).toBe(400);
      expect(expectContractResult(result)).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('when the body is larger than 100 kB, then 413 PAYLOAD_TOO_LARGE', async () => {
      const { handle } = handlerPreferring();
      const result = await handle(orchestratorEvent({ body: `{"pad":"${'x'.repeat(101 * 1024)}"}`, token }));
      expect(result.statusCode).toBe(413);
      expect(expectContractResult(result)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });
  });

  describe('authentication', () => {
    it('when there is no bearer token, then 401 UNAUTHORIZED', async () => {
      const { handle, calls } = handlerPreferring();
      const result = await handle(orchestratorEvent({ body: validBody() }));
      expect(result.statusCode).toBe(401);
      expect(expectContractResult(result)).toMatchObject({ code: 'UNAUTHORIZED' });
      expect(calls).toEqual([]);
    });

    it('when the operator token is expired, forged, unsigned or garbage, then 401 for each', async () => {
      const { handle } = handlerPreferring();
      for (const [kind, invalid] of Object.entries(await invalidOperatorTokens())) {
        const result = await handle(orchestratorEvent({ body: validBody(), token: invalid }));
        expect(result.statusCode, kind).toBe(401);
        expectContractResult(result);
      }
    });

    it('when the caller sends the service token, then 403 FORBIDDEN', async () => {
      const { handle, calls } = handlerPreferring();
      const result = await handle(orchestratorEvent({ body: validBody(), token: TEST_AUTH.serviceToken }));
      expect(result.statusCode).toBe(403);
      expect(expectContractResult(result)).toMatchObject({ code: 'FORBIDDEN' });
      expect(calls).toEqual([]);
    });
  });

  describe('the log line of each call (CloudWatch Logs Insights: README "Metrics")', () => {
    const completionLines = (lines: Array<Record<string, any>>) =>
      lines.filter((line) => line.message === 'orchestrator call completed');
    const duration = expect.any(Number);

    it('when the order is created and confirmed, then one line says confirmed, with the duration of the call and of each of its two steps', async () => {
      const { handle, logLines } = handlerPreferring();
      const result = await handle(
        orchestratorEvent({ body: validBody(), token, headers: { 'X-Correlation-Id': 'log-line-1' } }),
      );

      expect(result.statusCode).toBe(201);
      expect(completionLines(logLines)).toEqual([
        expect.objectContaining({
          level: 'info',
          correlationId: 'log-line-1',
          status: 201,
          outcome: 'confirmed',
          durationMs: duration,
          upstreamMs: { createOrder: duration, confirmOrder: duration },
        }),
      ]);
      const [line] = completionLines(logLines);
      expect(line!.code).toBeUndefined();
      const { createOrder, confirmOrder } = line!.upstreamMs;
      expect(createOrder + confirmOrder).toBeLessThanOrEqual(line!.durationMs + 3);
    });

    it('when the confirmation is refused and the order canceled, then the line says failed with its code and has the cancel step too', async () => {
      const { handle, logLines } = handlerPreferring(
        { confirm: 'code=409, example=INVALID_ORDER_STATUS' },
        { orderStatus: { cancel: 'CANCELED' } },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));

      expect(result.statusCode).toBe(502);
      expect(completionLines(logLines)).toEqual([
        expect.objectContaining({
          status: 502,
          outcome: 'failed',
          code: 'ORDER_CONFIRMATION_FAILED',
          upstreamMs: {
            createOrder: duration,
            confirmOrder: duration,
            cancelOrder: duration,
          },
        }),
      ]);
    });

    it('when the customer is unknown, then the line says refused with its code and has the order creation only', async () => {
      const { handle, logLines } = handlerPreferring({ create: 'code=422, example=CUSTOMER_NOT_FOUND' });
      await handle(orchestratorEvent({ body: validBody(), token }));

      expect(completionLines(logLines)).toEqual([
        expect.objectContaining({
          status: 404,
          outcome: 'refused',
          code: 'CUSTOMER_NOT_FOUND',
          upstreamMs: { createOrder: duration },
        }),
      ]);
    });

    it('when the caller is not authenticated, then the line says refused (401) and names no step', async () => {
      const { handle, logLines } = handlerPreferring();
      await handle(orchestratorEvent({ body: validBody() }));

      expect(completionLines(logLines)).toEqual([
        expect.objectContaining({ status: 401, outcome: 'refused', code: 'UNAUTHORIZED', upstreamMs: {} }),
      ]);
    });
  });

  describe('upstream refusals', () => {
    it.each([
      ['422 CUSTOMER_NOT_FOUND', 'code=422, example=CUSTOMER_NOT_FOUND', 404, 'CUSTOMER_NOT_FOUND'],
      ['422 PRODUCT_NOT_FOUND', 'code=422, example=PRODUCT_NOT_FOUND', 422, 'PRODUCT_NOT_FOUND'],
      ['409 INSUFFICIENT_STOCK', 'code=409, example=INSUFFICIENT_STOCK', 409, 'INSUFFICIENT_STOCK'],
      [
        '409 IDEMPOTENCY_KEY_REUSED',
        'code=409, example=IDEMPOTENCY_KEY_REUSED',
        409,
        'IDEMPOTENCY_KEY_REUSED',
      ],
      [
        '409 IDEMPOTENCY_KEY_IN_PROGRESS',
        'code=409, example=IDEMPOTENCY_KEY_IN_PROGRESS',
        409,
        'IDEMPOTENCY_KEY_IN_PROGRESS',
      ],
      ['400 DUPLICATE_ORDER_ITEM', 'code=400, example=DUPLICATE_ORDER_ITEM', 400, 'DUPLICATE_ORDER_ITEM'],
    ])(
      'when the Orders API refuses the order with %s, then the same status and code and nothing is confirmed',
      async (_case, prefer, status, code) => {
        const { handle, steps } = handlerPreferring({ create: prefer });
        const body = validBody();
        const result = await handle(orchestratorEvent({ body, token }));
        expect(result.statusCode).toBe(status);
        const problem = expectContractResult(result);
        expect(problem).toMatchObject({ status, code });
        // An idempotency refusal speaks of the caller's key, not the one derived for the Orders API.
        if (code.startsWith('IDEMPOTENCY_KEY_')) {
          expect(problem.detail).toContain(body.idempotency_key);
          expect(problem.detail).not.toContain('orchestrator:');
        }
        expect(steps()).toEqual(['create']);
      },
    );

    it('when confirmation is already running under the same key, then 409 IDEMPOTENCY_KEY_IN_PROGRESS and the order is not canceled', async () => {
      const { handle, steps } = handlerPreferring({
        confirm: 'code=409, example=IDEMPOTENCY_KEY_IN_PROGRESS',
      });
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(409);
      expect(expectContractResult(result)).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_PROGRESS' });
      expect(steps()).toEqual(['create', 'confirm']);
    });
  });

  describe('replays of an idempotency key', () => {
    it('when the confirmation is a replay and the order is still confirmed, then 201 after reading the order again', async () => {
      const { handle, calls } = handlerPreferring({}, { replayed: ['create', 'confirm'] });
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(201);
      expect(expectContractResult(result).data.order).toMatchObject({ id: 3, status: 'CONFIRMED' });
      expect(calls.map(({ step }) => step)).toEqual(['create', 'confirm', 'order']);
      expect(calls.every((call) => call.authorization === `Bearer ${TEST_AUTH.serviceToken}`)).toBe(true);
    });

    it('when the confirmation is a replay but the order has been canceled since, then 409 ORDER_CANCELED and nothing is canceled', async () => {
      const { handle, steps } = handlerPreferring(
        {},
        { replayed: ['create', 'confirm'], orderStatus: { order: 'CANCELED' } },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(409);
      expect(expectContractResult(result)).toMatchObject({
        code: 'ORDER_CANCELED',
        detail: 'Order 3 created for this idempotency key has since been canceled.',
      });
      expect(steps()).toEqual(['create', 'confirm', 'order']);
    });

    it('when a replayed creation can no longer be confirmed (409 INVALID_ORDER_STATUS), then 409 ORDER_CANCELED without compensating', async () => {
      const { handle, steps } = handlerPreferring(
        { confirm: 'code=409, example=INVALID_ORDER_STATUS' },
        { replayed: ['create'] },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(409);
      expect(expectContractResult(result)).toMatchObject({ code: 'ORDER_CANCELED' });
      expect(steps()).toEqual(['create', 'confirm']);
    });

    it('when the order cannot be read again, then 502 ORDER_STATE_UNKNOWN after the retries, not a stale 201', async () => {
      const { handle, steps } = handlerPreferring({ order: 'code=503' }, { replayed: ['create', 'confirm'] });
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(502);
      const problem = expectContractResult(result);
      expect(problem.code).toBe('ORDER_STATE_UNKNOWN');
      expect(problem.detail).toMatch(
        /^Order 3 was created, but whether it is confirmed is unknown: its confirmation was replayed/,
      );
      expect(steps()).toEqual(['create', 'confirm', 'order', 'order', 'order']);
    });
  });

  describe('upstream failures', () => {
    it('when the Orders API keeps answering 503, then the call is retried with backoff and answered 502 UPSTREAM_UNAVAILABLE', async () => {
      const { handle, steps } = handlerPreferring({ create: 'code=503' });
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(502);
      expect(expectContractResult(result)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
      expect(steps()).toEqual(['create', 'create', 'create']);
    });

    it('when the Orders API is down, then 502 UPSTREAM_UNAVAILABLE after the retries', async () => {
      const closedPort = await freePort();
      const handle = createHandler(testConfig({ ordersApiBase: `http://127.0.0.1:${closedPort}` }));
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(502);
      const problem = expectContractResult(result);
      expect(problem.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(problem.detail).toContain('Orders API');
    });

    describe('when an API does not answer at all', () => {
      let silent: Server;
      let silentUrl: string;
      let requestsReceived = 0;

      beforeAll(async () => {
        silent = createServer(() => {
          requestsReceived += 1;
        });
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
        silentUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      });

      afterAll(async () => {
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      });

      it('then 504 UPSTREAM_TIMEOUT once every attempt (the first and each retry) timed out', async () => {
        const config = testConfig({
          ordersApiBase: silentUrl,
          upstreamTimeoutMs: 200,
          retry: { retries: 1, baseDelayMs: 10, maxDelayMs: 20 },
        });
        requestsReceived = 0;
        const result = await createHandler(config)(orchestratorEvent({ body: validBody(), token }));
        expect(result.statusCode).toBe(504);
        expect(expectContractResult(result)).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
        expect(requestsReceived).toBe(2);
      });
    });
  });

  describe('when the confirmation goes unanswered (5xx after the retries), then the order is read before anything is decided', () => {
    it('when the order is CONFIRMED, then 201 with it and nothing is canceled', async () => {
      const { handle, steps } = handlerPreferring(
        { confirm: 'code=503' },
        { orderStatus: { order: 'CONFIRMED' } },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(201);
      expect(expectContractResult(result).data.order.status).toBe('CONFIRMED');
      expect(steps()).toEqual(['create', 'confirm', 'confirm', 'confirm', 'order']);
    });

    it('when the order is CREATED, then it is canceled as a compensation and 502 ORDER_CONFIRMATION_FAILED names it', async () => {
      const { handle, steps, calls } = handlerPreferring(
        { confirm: 'code=503' },
        { orderStatus: { order: 'CREATED' } },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(502);
      const problem = expectContractResult(result);
      expect(problem.code).toBe('ORDER_CONFIRMATION_FAILED');
      expect(problem.detail).toMatch(/^Order 3 was created but could not be confirmed .*; it was canceled/);
      expect(steps()).toEqual(['create', 'confirm', 'confirm', 'confirm', 'order', 'cancel']);
      expect(calls.at(-1)!.body).toEqual({
        source: 'ORCHESTRATOR_COMPENSATION',
        reason:
          'The orchestrator could not confirm the order (the Orders API answered 503 Service Unavailable) and canceled it to release its stock.',
      });
    });

    it('when the order has been CANCELED meanwhile, then 409 ORDER_CANCELED and nothing is canceled again', async () => {
      const { handle, steps } = handlerPreferring(
        { confirm: 'code=503' },
        { orderStatus: { order: 'CANCELED' } },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(409);
      expect(expectContractResult(result)).toMatchObject({ code: 'ORDER_CANCELED' });
      expect(steps()).toEqual(['create', 'confirm', 'confirm', 'confirm', 'order']);
    });

    it('when the order cannot be read either, then 502 ORDER_STATE_UNKNOWN telling to retry with the same key, and nothing is canceled', async () => {
      const { handle, steps } = handlerPreferring({ confirm: 'code=503', order: 'code=503' });
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(502);
      const problem = expectContractResult(result);
      expect(problem.code).toBe('ORDER_STATE_UNKNOWN');
      expect(problem.detail).toBe(
        'Order 3 was created, but whether it is confirmed is unknown: its confirmation went unanswered ' +
          '(the Orders API answered 503 Service Unavailable), and reading the order failed ' +
          '(the Orders API answered 503 Service Unavailable). It was not canceled. Retry with the same ' +
          'idempotency_key to settle it: the answer is then 201 with the confirmed order, or 409 ' +
          'ORDER_CANCELED if it has been canceled since.',
      );
      expect(steps()).not.toContain('cancel');
    });

    it('when canceling fails as well, then the detail says the order could not be canceled', async () => {
      const { handle, steps } = handlerPreferring(
        { confirm: 'code=503', cancel: 'code=503' },
        { orderStatus: { order: 'CREATED' } },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(502);
      const problem = expectContractResult(result);
      expect(problem.code).toBe('ORDER_CONFIRMATION_FAILED');
      expect(problem.detail).toContain('canceling it failed too');
      expect(steps().filter((step) => step === 'cancel')).toHaveLength(3);
    });
  });

  describe('when confirmation is refused (a 4xx answer), then the order is not confirmed and is compensated without reading it first', () => {
    it('when the refusal is for good (the order is canceled meanwhile), then it is canceled without retries', async () => {
      const { handle, steps } = handlerPreferring({ confirm: 'code=409, example=INVALID_ORDER_STATUS' });
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(502);
      expect(expectContractResult(result)).toMatchObject({ code: 'ORDER_CONFIRMATION_FAILED' });
      expect(steps()).toEqual(['create', 'confirm', 'cancel']);
    });

    it('when the Orders API refuses the compensation because the order is CONFIRMED, then 201 with the order read again', async () => {
      const { handle, steps } = handlerPreferring(
        { confirm: 'code=400', cancel: 'code=409, example=INVALID_ORDER_STATUS' },
        { orderStatus: { order: 'CONFIRMED' } },
      );
      const result = await handle(orchestratorEvent({ body: validBody(), token }));
      expect(result.statusCode).toBe(201);
      expect(expectContractResult(result).data.order.status).toBe('CONFIRMED');
      expect(steps()).toEqual(['create', 'confirm', 'cancel', 'order']);
    });
  });
});
