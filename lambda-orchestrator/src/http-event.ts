import {
  BODY_LIMIT_BYTES,
  CORRELATION_HEADER,
  PROBLEM_CONTENT_TYPE,
  buildProblem,
  findIllFormedText,
  isValidUtf8,
  repeatedHeaderErrors,
  unsupportedBodyError,
  type FieldError,
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
  /** Every value of every header, as sent; `headers` keeps only one value of each. */
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  /** The body's text (serverless-offline may hand over a JSON value instead: see bodyText). */
  body: string | null;
  isBase64Encoded?: boolean;
}

export interface ApiGatewayProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Every value sent for a header, in order, from `multiValueHeaders` (API Gateway and
 * serverless-offline fill it) or else `headers`. Names compare case-insensitively (RFC 9110).
 */
function headerValues(event: ApiGatewayProxyEvent, name: string): string[] {
  const wanted = name.toLowerCase();
  const matching = <T>(headers: Record<string, T> | null | undefined) =>
    Object.entries(headers ?? {}).filter(([key]) => key.toLowerCase() === wanted);
  if (event.multiValueHeaders) {
    return matching(event.multiValueHeaders).flatMap(([, values]) => values ?? []);
  }
  return matching(event.headers).flatMap(([, value]) => (value === undefined ? [] : [value]));
}

/** The one value of a header (the APIs' and the Lambda's single-value headers are checked by headerProblems). */
export function headerValue(event: ApiGatewayProxyEvent, name: string): string | undefined {
  return headerValues(event, name)[0];
}

/** Headers that name the caller or the request must come once, as the APIs require too. */
export function repeatedHeaders(event: ApiGatewayProxyEvent): FieldError[] {
  const names = event.multiValueHeaders
    ? Object.entries(event.multiValueHeaders).flatMap(([name, values]) => (values ?? []).map(() => name))
    : Object.keys(event.headers ?? {});
  return repeatedHeaderErrors(names);
}

export type ParsedBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'missing' }
  | { kind: 'invalid-json'; detail: string }
  | { kind: 'ill-formed-text'; field: string }
  | { kind: 'unsupported'; error: NonNullable<ReturnType<typeof unsupportedBodyError>> }
  | { kind: 'too-large' };

/**
 * The body's text, or undefined when there is none. API Gateway always gives a string (or
 * null). serverless-offline 13 parsed JSON bodies itself and passed on the parsed value when
 * it was falsy (`false` crashed the handler: 502, no body) or a string (a string holding an
 * order was taken as that order); it is patched to hand over the text as sent
 * (patches/serverless-offline+13.9.0.patch). A value that is not a string is still turned
 * back into its JSON text, so the body is judged as it would be on AWS.
 */
function bodyText(body: unknown): string | undefined {
  if (body === null || body === undefined || body === '') return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/**
 * Reads the body as the APIs do: the one rule for its bytes (`application/json`, UTF-8, no
 * content coding: service-kit's unsupportedBodyError), then strict JSON of well-formed text.
 */
export function parseJsonBody(event: ApiGatewayProxyEvent): ParsedBody {
  const text = bodyText(event.body);
  if (text === undefined) return { kind: 'missing' };
  const unsupported = unsupportedBodyError(
    headerValue(event, 'Content-Type'),
    // Every line, as Node joins them for the APIs: `gzip` on a second line is still a coding.
    headerValues(event, 'Content-Encoding').join(', ') || undefined,
  );
  if (unsupported) return { kind: 'unsupported', error: unsupported };
  const bytes = event.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  if (bytes.byteLength > BODY_LIMIT_BYTES) return { kind: 'too-large' };
  if (!isValidUtf8(bytes)) {
    return {
      kind: 'invalid-json',
      detail: 'The request body is not valid UTF-8, which JSON requires (RFC 8259 §8.1).',
    };
  }
  let value: unknown;
  try {
    // A leading byte order mark is ignored, as RFC 8259 §8.1 allows and the APIs' parser does.
    value = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return { kind: 'invalid-json', detail: 'The request body is not valid JSON.' };
  }
  const field = findIllFormedText(value);
  return field ? { kind: 'ill-formed-text', field } : { kind: 'json', value };
}

/** The headers every answer carries, as the APIs send them (helmet there). */
function responseHeaders(contentType: string, correlationId: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    [CORRELATION_HEADER]: correlationId,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  };
}

export function jsonResult(statusCode: number, body: unknown, correlationId: string): ApiGatewayProxyResult {
  return {
    statusCode,
    headers: responseHeaders('application/json', correlationId),
    body: JSON.stringify(body),
  };
}

export function problemResult(
  parts: ProblemParts,
  event: ApiGatewayProxyEvent,
  correlationId: string,
): ApiGatewayProxyResult {
  const { headers, ...problem } = parts;
  return {
    statusCode: parts.status,
    headers: { ...responseHeaders(PROBLEM_CONTENT_TYPE, correlationId), ...headers },
    body: JSON.stringify(buildProblem({ ...problem, instance: event.path, correlationId })),
  };
}
