import { document } from '@b2b/contracts/orchestrator';
import { createOrdersClient, type OrdersClient } from '@b2b/contracts/orders';
import { readOrchestratorConfig, type OrchestratorConfig } from './config';
import { withCors } from './cors';
import {
  createAndConfirmOrder,
  type CreateAndConfirmOrderRequest,
  type CreateAndConfirmOrderResponse,
  type OrchestratorDependencies,
} from './create-and-confirm-order';
import {
  headerValue,
  jsonResult,
  parseJsonBody,
  problemResult,
  repeatedHeaders,
  type ApiGatewayProxyEvent,
  type ApiGatewayProxyResult,
  type ParsedBody,
} from './http-event';
import type { StepDurations } from './upstream';
import {
  CORRELATION_HEADER,
  ContractValidator,
  Forbidden,
  InputError,
  PayloadTooLarge,
  ValidationFailed,
  authenticate,
  correlationIdFrom,
  createLogger,
  currentCorrelationId,
  runWithContext,
  toProblem,
  type AuthConfig,
  type FieldError,
  type Logger,
} from '@b2b/service-kit';

const OPERATION = { method: 'post', path: '/orchestrator/create-and-confirm-order' } as const;

export type Handler = (event: ApiGatewayProxyEvent) => Promise<ApiGatewayProxyResult>;

/**
 * Tests may hand in clients of their own (e.g. ones that ask a Prism mock for a given
 * status), and a logger whose lines they read.
 */
export interface ClientOverrides {
  orders?: OrdersClient;
  logger?: Logger;
}

function dependenciesFor(config: OrchestratorConfig, logger: Logger, clients: ClientOverrides) {
  const client = (baseUrl: string) => ({
    baseUrl,
    bearerToken: config.auth.serviceToken,
    timeoutMs: config.upstreamTimeoutMs,
    correlationId: currentCorrelationId,
  });
  return {
    orders: clients.orders ?? createOrdersClient(client(config.ordersApiBase)),
    logger,
    retry: config.retry,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
  } satisfies Omit<OrchestratorDependencies, 'stepDurations'>;
}

/** The body's correlation_id if well-formed, else the X-Correlation-Id header's, else a new one. */
function correlationIdOf(event: ApiGatewayProxyEvent, body: ParsedBody): string {
  const fromBody =
    body.kind === 'json' ? (body.value as { correlation_id?: unknown })?.correlation_id : undefined;
  const candidates = [
    typeof fromBody === 'string' ? fromBody : undefined,
    headerValue(event, CORRELATION_HEADER),
  ];
  return correlationIdFrom(
    candidates.find((candidate) => candidate && correlationIdFrom(candidate) === candidate),
  );
}

/** The operator's username; Forbidden for the service token, Unauthorized without a valid one. */
async function authenticateOperator(auth: AuthConfig, event: ApiGatewayProxyEvent): Promise<string> {
  const principal = await authenticate(auth, headerValue(event, 'Authorization'));
  if (principal.kind !== 'operator') throw new Forbidden('This operation requires an operator token.');
  return principal.username;
}

/** The X-Correlation-Id header is part of the contract: a malformed one is a 400, as in the APIs. */
function headerViolations(event: ApiGatewayProxyEvent): FieldError[] {
  const correlationHeader = headerValue(event, CORRELATION_HEADER);
  if (correlationHeader === undefined || correlationIdFrom(correlationHeader) === correlationHeader)
    return [];
  return [{ field: 'header.x-correlation-id', message: 'must be 1–128 of A-Z a-z 0-9 . _ : -' }];
}

/**
 * What the APIs refuse before authenticating (their strict edge runs first): repeated
 * identity headers, a body that is not `application/json` in UTF-8 without a content
 * coding (415), and a JSON body that is too large, not UTF-8, not JSON or not well-formed
 * text.
 */
function assertReadableRequest(event: ApiGatewayProxyEvent, body: ParsedBody): void {
  const repeated = repeatedHeaders(event);
  if (repeated.length > 0) throw new ValidationFailed(repeated);
  switch (body.kind) {
    case 'unsupported':
      throw body.error;
    case 'too-large':
      throw new PayloadTooLarge();
    case 'invalid-json':
      throw new InputError('INVALID_JSON', body.detail);
    case 'ill-formed-text':
      throw new ValidationFailed([{ field: body.field, message: 'must be well-formed Unicode text' }]);
  }
}

/** What the contract says of the request, checked after authentication as the APIs do. */
function validRequest(
  event: ApiGatewayProxyEvent,
  body: ParsedBody,
  validator: ContractValidator,
): CreateAndConfirmOrderRequest {
  if (body.kind !== 'json') throw new ValidationFailed([{ field: 'body', message: 'is required' }]);
  const violations = [
    ...headerViolations(event),
    ...validator.requestBody(OPERATION.method, OPERATION.path, body.value),
  ];
  if (violations.length > 0) throw new ValidationFailed(violations);
  return body.value as CreateAndConfirmOrderRequest;
}

/**
 * The Lambda: API Gateway event in, API Gateway result out. Everything between runs in the
 * request's context, so every log line and downstream call carries its correlation id.
 */
export function createHandler(config: OrchestratorConfig, clients: ClientOverrides = {}): Handler {
  const logger = clients.logger ?? createLogger({ service: 'lambda-orchestrator', level: config.logLevel });
  const validator = new ContractValidator(document);
  const dependencies = dependenciesFor(config, logger, clients);

  async function answer(
    event: ApiGatewayProxyEvent,
    body: ParsedBody,
    correlationId: string,
    stepDurations: StepDurations,
  ) {
    assertReadableRequest(event, body);
    const operator = await authenticateOperator(config.auth, event);
    const request = validRequest(event, body, validator);
    const data = await createAndConfirmOrder({ request, operator }, { ...dependencies, stepDurations });
    const response: CreateAndConfirmOrderResponse = { success: true, correlationId, data };
    return jsonResult(201, response, correlationId);
  }

  function failure(error: unknown, event: ApiGatewayProxyEvent, correlationId: string) {
    const problem = toProblem(error);
    if (problem.status >= 500) logger.error({ err: error }, problem.detail);
    return { result: problemResult(problem, event, correlationId), code: problem.code };
  }

  /**
   * One line per call, for CloudWatch Logs Insights (a Lambda has no /metrics to scrape; the
   * queries of docs/operations.md read these fields): the outcome, the problem code of a failure, the
   * whole duration and each upstream step's.
   */
  function logCompletion(
    event: ApiGatewayProxyEvent,
    answered: { result: ApiGatewayProxyResult; code?: string },
    durationMs: number,
    stepDurations: StepDurations,
  ) {
    const status = answered.result.statusCode;
    const outcome = status < 400 ? 'confirmed' : status < 500 ? 'refused' : 'failed';
    logger.info(
      {
        method: event.httpMethod,
        path: event.path,
        status,
        outcome,
        code: answered.code,
        durationMs,
        upstreamMs: stepDurations,
      },
      'orchestrator call completed',
    );
  }

  // CORS around everything, the preflight included (src/cors.ts says why it is answered here).
  return withCors(config.corsAllowedOrigins, async function handler(event) {
    const startedAt = performance.now();
    const body = parseJsonBody(event);
    const correlationId = correlationIdOf(event, body);
    return runWithContext({ correlationId }, async () => {
      const stepDurations: StepDurations = {};
      const answered = await answer(event, body, correlationId, stepDurations).then(
        (result) => ({ result, code: undefined }),
        (error: unknown) => failure(error, event, correlationId),
      );
      logCompletion(event, answered, Math.round(performance.now() - startedAt), stepDurations);
      return answered.result;
    });
  });
}

/** Read once per Lambda container, at cold start: a bad configuration fails the init. */
export const handler: Handler = createHandler(readOrchestratorConfig(process.env));
