import { STATUS_CODES } from 'node:http';
// The validator's error classes, from the one module that defines them (its index would
// pull the whole validator into the Lambda's bundle).
import * as validatorErrors from 'express-openapi-validator/dist/framework/types.js';
import {
  isDatabaseNotServing,
  isDatabaseTimeout,
  isDatabaseUnavailable,
  isRetryableTransactionError,
} from './database-errors';
import { AppError, BODY_LIMIT_BYTES, statusOf, type FieldError } from './errors';
import { INVALID_UTF8 } from './strict-input';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The RFC 9457 body every contract declares as `Problem`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldError[];
}

/** What decides a problem response: status, stable code, detail, the offending fields, and its headers. */
export interface ProblemParts {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  /** Response headers the problem needs (Allow on a 405, Retry-After on a 429). */
  headers?: Record<string, string>;
}

/** Builds the RFC 9457 body; `type` is a URI derived from the code, `title` the status's reason phrase. */
export function buildProblem(input: ProblemParts & { instance?: string; correlationId?: string }): Problem {
  const problem: Problem = {
    type: `https://b2b-orders.example/problems/${input.code.toLowerCase().replaceAll('_', '-')}`,
    title: STATUS_CODES[input.status] ?? 'Error',
    status: input.status,
    detail: input.detail,
    code: input.code,
  };
  if (input.instance !== undefined) problem.instance = input.instance;
  if (input.correlationId !== undefined) problem.correlationId = input.correlationId;
  if (input.errors !== undefined && input.errors.length > 0) problem.errors = input.errors;
  return problem;
}

// The validator names locations after Express (params, headers); the contracts document
// `<location>.<path>` with the OpenAPI names (path, header).
const LOCATION_NAMES: Record<string, string> = { params: 'path', headers: 'header' };

/** '/body/items/0/qty' → 'body.items.0.qty'; '/params/id' → 'path.id'. */
function fieldName(path: string | undefined): string {
  const [location = '', ...rest] = (path ?? '').replace(/^\//, '').split('/');
  return [LOCATION_NAMES[location] ?? location, ...rest].filter(Boolean).join('.') || 'request';
}

const VALIDATOR_CODES: ReadonlyArray<readonly [typeof validatorErrors.HttpError, string]> = [
  [validatorErrors.Unauthorized, 'UNAUTHORIZED'],
  [validatorErrors.Forbidden, 'FORBIDDEN'],
  [validatorErrors.NotFound, 'NOT_FOUND'],
  [validatorErrors.MethodNotAllowed, 'METHOD_NOT_ALLOWED'],
  [validatorErrors.NotAcceptable, 'NOT_ACCEPTABLE'],
  [validatorErrors.RequestEntityTooLarge, 'PAYLOAD_TOO_LARGE'],
  [validatorErrors.UnsupportedMediaType, 'UNSUPPORTED_MEDIA_TYPE'],
];

/** Errors of Express's body parser, told apart by their documented `type`. */
const BODY_PARSER_PROBLEMS: Record<string, ProblemParts> = {
  'entity.parse.failed': { status: 400, code: 'INVALID_JSON', detail: 'The request body is not valid JSON.' },
  'entity.too.large': {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    detail: `The request body is larger than ${BODY_LIMIT_BYTES / 1024} kB.`,
  },
  // A Content-Encoding other than identity (the parser runs with `inflate: false`).
  'encoding.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_CONTENT_ENCODING',
    detail: 'The request body must be sent without a content coding.',
    headers: { 'Accept-Encoding': 'identity' },
  },
  'charset.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'The request body charset is not supported.',
  },
  'request.aborted': {
    status: 400,
    code: 'REQUEST_ABORTED',
    detail: 'The request was aborted by the client.',
  },
  [INVALID_UTF8]: {
    status: 400,
    code: 'INVALID_JSON',
    detail: 'The request body is not valid UTF-8, which JSON requires (RFC 8259 §8.1).',
  },
};

/** Allow (RFC 9110 §10.2.1) names HEAD wherever GET is allowed: it is answered like GET. */
function allowHeader(allow: string | undefined): Record<string, string> | undefined {
  if (!allow) return undefined;
  const methods = allow.split(',').map((method) => method.trim().toUpperCase());
  if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
  return { Allow: methods.join(', ') };
}

function validatorProblem(error: validatorErrors.HttpError): ProblemParts {
  if (error instanceof validatorErrors.BadRequest) {
    return {
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'The request is invalid.',
      errors: error.errors.map((item) => ({
        field: fieldName(item.path),
        message: item.message ?? 'is invalid',
      })),
    };
  }
  if (error instanceof validatorErrors.MethodNotAllowed) {
    const headers = allowHeader((error.headers as Record<string, string> | undefined)?.Allow);
    return {
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      detail: `${error.message}; see the Allow header.`,
      headers,
    };
  }
  if (error instanceof validatorErrors.UnsupportedMediaType) {
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: `The request body must be application/json (${error.message.replace(/^unsupported media type /, 'got ')}).`,
    };
  }
  const code = VALIDATOR_CODES.find(([Kind]) => error instanceof Kind)?.[1];
  if (code) return { status: error.status, code, detail: error.message || code };
  // InternalServerError: e.g. a response that breaks the contract (validateResponses, in tests).
  return INTERNAL_ERROR;
}

const INTERNAL_ERROR: ProblemParts = {
  status: 500,
  code: 'INTERNAL_ERROR',
  detail: 'An unexpected error occurred.',
};

/**
 * The one mapping from anything thrown to RFC 9457 problem details, used by both APIs and
 * the Lambda: our AppErrors (status from STATUS_OF_KIND), express-openapi-validator's
 * errors (by class), body-parser's (by type), an unreachable database (503), and anything
 * else as a 500 that reveals nothing about internals. A status ≥ 500 means the caller
 * should log the error whole.
 */
export function toProblem(error: unknown): ProblemParts {
  if (error instanceof AppError) {
    const { code, message: detail, fieldErrors: errors, headers } = error;
    return { status: statusOf(error), code, detail, errors, headers };
  }
  if (error instanceof validatorErrors.HttpError) return validatorProblem(error);
  const bodyParserProblem = BODY_PARSER_PROBLEMS[(error as { type?: unknown } | null)?.type as string];
  if (bodyParserProblem) return bodyParserProblem;
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      detail: isDatabaseTimeout(error)
        ? 'The database did not answer in time. Try again later.'
        : isDatabaseNotServing(error)
          ? 'The database cannot serve requests right now (read-only, or a cluster node without quorum). Try again later.'
          : 'The database is unreachable. Try again later.',
      // Every wait is bounded, so a retry a second later meets a fresh attempt.
      headers: { 'Retry-After': '1' },
    };
  }
  // A single statement aborted as a conflict (a transaction's is retried: TransactionConflict).
  if (isRetryableTransactionError(error)) {
    return {
      status: 503,
      code: 'DATABASE_CONFLICT',
      detail:
        'The database refused the change as conflicting with a concurrent one; nothing was written. Try again.',
      headers: { 'Retry-After': '1' },
    };
  }
  return INTERNAL_ERROR;
}
