import express, { type RequestHandler } from 'express';
import { BODY_LIMIT_BYTES, ValidationFailed } from '../errors';
import { findIllFormedText, INVALID_UTF8, isValidUtf8, repeatedHeaderErrors } from '../strict-input';

/** 400 for a request carrying one of SINGLE_VALUE_HEADERS twice (Node keeps only the first). */
export function rejectRepeatedHeaders(): RequestHandler {
  return (request, _response, next) => {
    const errors = repeatedHeaderErrors(request.rawHeaders.filter((_, index) => index % 2 === 0));
    next(errors.length > 0 ? new ValidationFailed(errors) : undefined);
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
      type: ['application/json', 'application/*+json'],
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
    const hasBody =
      request.headers['transfer-encoding'] !== undefined ||
      Number(request.headers['content-length'] ?? 0) > 0;
    if (!hasBody && request.headers['content-type'] === undefined)
      request.headers['content-type'] = 'application/json';
    next();
  };
}
