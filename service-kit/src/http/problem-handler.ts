import type { ErrorRequestHandler, Response } from 'express';
import { AppError, type FieldError } from '../errors';
import { isDatabaseUnavailable } from '../database';
import type { Logger } from '../logger';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../problem';
import { currentCorrelationId } from '../request-context';

interface ValidatorError {
  status?: number;
  path?: string;
  message?: string;
  errors?: Array<{ path?: string; message?: string }>;
}

interface BodyParserError {
  type?: string;
  status?: number;
}

interface ProblemParts {
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
}

// The validator names locations after Express (params, headers); the contracts document
// `<location>.<path>` with the OpenAPI names (path, header).
const LOCATION_NAMES: Record<string, string> = { params: 'path', headers: 'header' };

/** '/body/items/0/qty' → 'body.items.0.qty'; '/params/id' → 'path.id'. */
function fieldName(path: string | undefined): string {
  const [location = '', ...rest] = (path ?? '').replace(/^\//, '').split('/');
  return [LOCATION_NAMES[location] ?? location, ...rest].filter(Boolean).join('.') || 'request';
}

const VALIDATOR_CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

const BODY_PARSER_PROBLEMS: Record<string, ProblemParts> = {
  'entity.parse.failed': { status: 400, code: 'INVALID_JSON', detail: 'The request body is not valid JSON.' },
  'entity.too.large': {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    detail: 'The request body is larger than 100 kB.',
  },
  'encoding.unsupported': {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'The request body encoding is not supported.',
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
};

function describe(error: unknown, logger: Logger): ProblemParts {
  if (error instanceof AppError) {
    return { status: error.status, code: error.code, detail: error.message, errors: error.fieldErrors };
  }
  const bodyParserProblem = BODY_PARSER_PROBLEMS[(error as BodyParserError)?.type ?? ''];
  if (bodyParserProblem) return bodyParserProblem;
  if (isDatabaseUnavailable(error)) {
    logger.error({ err: error }, 'database unavailable');
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      detail: 'The database is unreachable. Try again later.',
    };
  }
  const validatorError = error as ValidatorError;
  const validatorCode = VALIDATOR_CODES[validatorError?.status ?? 0];
  if (validatorCode) {
    const status = validatorError.status as number;
    if (status === 400) {
      return {
        status,
        code: validatorCode,
        detail: 'The request is invalid.',
        errors: (validatorError.errors ?? []).map((item) => ({
          field: fieldName(item.path),
          message: item.message ?? 'is invalid',
        })),
      };
    }
    return { status, code: validatorCode, detail: validatorError.message ?? validatorCode };
  }
  // Anything else is our fault: log it whole, tell the client nothing about internals.
  logger.error({ err: error }, 'unhandled error');
  return { status: 500, code: 'INTERNAL_ERROR', detail: 'An unexpected error occurred.' };
}

function sendProblem(response: Response, parts: ProblemParts, instance?: string): void {
  const body = buildProblem({ ...parts, instance, correlationId: currentCorrelationId() });
  response.status(parts.status).type(PROBLEM_CONTENT_TYPE);
  // json() goes through response validation (in tests); a 500 is sent around it, since
  // a contract violation found there is itself reported as a 500.
  if (parts.status === 500) response.send(JSON.stringify(body));
  else response.json(body);
}

/** The one place where every error becomes an RFC 9457 problem response. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    sendProblem(response, describe(error, logger), request.originalUrl.split('?')[0]);
  };
}
