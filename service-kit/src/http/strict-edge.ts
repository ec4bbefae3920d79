import express, { type Request, type RequestHandler } from 'express';
import { BODY_LIMIT_BYTES, ValidationFailed } from '../errors';
import {
  findIllFormedText,
  INVALID_UTF8,
  isValidUtf8,
  repeatedHeaderErrors,
  unsupportedBodyError,
} from '../strict-input';

/** 400 for a request carrying one of SINGLE_VALUE_HEADERS twice (Node keeps only the first). */
export function rejectRepeatedHeaders(): RequestHandler {
  return (request, _response, next) => {
    const errors = repeatedHeaderErrors(request.rawHeaders.filter((_, index) => index % 2 === 0));
    next(errors.length > 0 ? new ValidationFailed(errors) : undefined);
  };
}

/**
 * 400 naming each query parameter given more than once (`?limit=5&limit=6`). No contract here
 * declares an array query parameter, so a repeat is a mistake; without this the validator
 * would see an array and answer "must be integer" about a value that is one.
 */
export function rejectRepeatedQueryParameters(): RequestHandler {
  return (request, _response, next) => {
    const url = request.originalUrl;
    if (!url.includes('?')) return next();
    const counts = new Map<string, number>();
    for (const pair of url
      .slice(url.indexOf('?') + 1)
      .split('&')
      .filter(Boolean)) {
      const name = pair.split('=', 1)[0] ?? '';
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replaceAll('+', ' '));
      } catch {
        // An undecodable name is not one the contract declares: the validator refuses it.
      }
      counts.set(decoded, (counts.get(decoded) ?? 0) + 1);
    }
    const errors = [...counts]
      .filter(([, count]) => count > 1)
      .map(([name, count]) => ({ field: `query.${name}`, message: `is given ${count} times; give it once` }));
    next(errors.length > 0 ? new ValidationFailed(errors) : undefined);
  };
}

/** Whether the request carries content (chunked, or a Content-Length above 0). */
const carriesBody = (request: Request) =>
  request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;

/**
 * The one rule for the bytes of a body (strict-input's unsupportedBodyError, which the
 * orchestrator applies too): `application/json`, UTF-8, no content coding, else 415. It runs
 * before the body is read and before the caller is authenticated, so every caller gets the
 * same 415 and nothing is decoded some other way.
 */
export function refuseUnsupportedBodies(): RequestHandler {
  return (request, _response, next) => {
    if (!carriesBody(request)) return next();
    next(unsupportedBodyError(request.headers['content-type'], request.headers['content-encoding']));
  };
}

/**
 * JSON bodies (RFC 8259: UTF-8 only) read strictly: bytes that are not UTF-8 are refused
 * (400 INVALID_JSON) instead of being decoded to U+FFFD, and a string that is not
 * well-formed Unicode (a lone surrogate escape) is refused naming its field, never stored.
 * Any JSON text parses (RFC 8259 allows a bare value such as `null` or `"x"`), as in the
 * orchestrator: the operation's body schema then refuses what is not an object, 400
 * VALIDATION_FAILED naming `body`, rather than calling valid JSON "not valid JSON".
 */
export function strictJsonBody(): RequestHandler[] {
  return [
    express.json({
      limit: BODY_LIMIT_BYTES,
      strict: false,
      type: 'application/json',
      // No content coding is decoded (refuseUnsupportedBodies refuses it first): body-parser's
      // own refusal, 415 encoding.unsupported, should one get this far.
      inflate: false,
      verify: (_request, _response, bytes) => {
        if (!isValidUtf8(bytes))
          throw Object.assign(new Error('not UTF-8'), { status: 400, type: INVALID_UTF8 });
      },
    }),
    (request, _response, next) => {
      const field = findIllFormedText(request.body);
      next(
        field ? new ValidationFailed([{ field, message: 'must be well-formed Unicode text' }]) : undefined,
      );
    },
  ];
}

/**
 * HEAD is GET without the content (RFC 9110 §9.3.2): it is validated and routed as the
 * GET it stands for. Node already knows the response to a HEAD request carries no body.
 */
export function headAsGet(): RequestHandler {
  return (request, _response, next) => {
    if (request.method === 'HEAD') request.method = 'GET';
    next();
  };
}

/**
 * A request that carries no body and no Content-Type is judged as a request without a
 * body (400: the body is required), not as a body of an unsupported media type (415).
 */
export function noBodyIsNoMediaType(): RequestHandler {
  return (request, _response, next) => {
    if (!carriesBody(request) && request.headers['content-type'] === undefined)
      request.headers['content-type'] = 'application/json';
    next();
  };
}
