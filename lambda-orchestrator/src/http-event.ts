import {
  BODY_LIMIT_BYTES,
  CORRELATION_HEADER,
  PROBLEM_CONTENT_TYPE,
  buildProblem,
  type ProblemParts,
} from '@b2b/service-kit';

/**
 * The part of API Gateway's REST proxy event (`http:` events) the orchestrator reads. The
 * full type lives in @types/aws-lambda; this subset keeps the package free of it.
 */
export interface ApiGatewayProxyEvent {
  httpMethod: string;
  path: string;
  headers: Record<string, string | undefined> | null;
  body: string | null;
  isBase64Encoded?: boolean;
}

export interface ApiGatewayProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** API Gateway keeps header names as the client sent them; HTTP says they are case-insensitive. */
export function headerValue(event: ApiGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1];
}

export type ParsedBody =
  { kind: 'json'; value: unknown } | { kind: 'missing' } | { kind: 'invalid-json' } | { kind: 'too-large' };

export function parseJsonBody(event: ApiGatewayProxyEvent): ParsedBody {
  if (event.body === null || event.body === '') return { kind: 'missing' };
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > BODY_LIMIT_BYTES) return { kind: 'too-large' };
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch {
    return { kind: 'invalid-json' };
  }
}

export function jsonResult(statusCode: number, body: unknown, correlationId: string): ApiGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', [CORRELATION_HEADER]: correlationId },
    body: JSON.stringify(body),
  };
}

export function problemResult(
  parts: ProblemParts,
  event: ApiGatewayProxyEvent,
  correlationId: string,
): ApiGatewayProxyResult {
  return {
    statusCode: parts.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, [CORRELATION_HEADER]: correlationId },
    body: JSON.stringify(buildProblem({ ...parts, instance: event.path, correlationId })),
  };
}
