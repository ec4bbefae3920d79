import * as validatorErrors from 'express-openapi-validator/dist/framework/types.js';
import { describe, expect, it } from 'vitest';
import type { AppError } from '../src';
import {
  buildProblem,
  Conflict,
  Forbidden,
  InputError,
  NotFound,
  PayloadTooLarge,
  toProblem,
  Unauthorized,
  Unavailable,
  UnknownReference,
  UpstreamFailed,
  UpstreamTimeout,
  ValidationFailed,
  INVALID_UTF8,
} from '../src';

class OrderNotFound extends NotFound {
  constructor(id: number) {
    super('ORDER_NOT_FOUND', `Order ${id} does not exist.`);
  }
}

describe('toProblem', () => {
  it.each([
    [new InputError('DUPLICATE_ORDER_ITEM', 'twice'), 400],
    [new Unauthorized(), 401],
    [new Forbidden(), 403],
    [new NotFound('ORDER_NOT_FOUND', 'gone'), 404],
    [new Conflict('INSUFFICIENT_STOCK', 'short'), 409],
    [new PayloadTooLarge(), 413],
    [new UnknownReference('PRODUCT_NOT_FOUND', 'no such product'), 422],
    [new UpstreamFailed('CUSTOMERS_API_UNAVAILABLE', 'down'), 502],
    [new Unavailable('DATABASE_UNAVAILABLE', 'down'), 503],
    [new UpstreamTimeout('UPSTREAM_TIMEOUT', 'slow'), 504],
  ])('when a use case throws %s, then the status comes from its kind', (error: AppError, status) => {
    expect(toProblem(error)).toMatchObject({ status, code: error.code, detail: error.message });
    expect(error.status).toBe(status);
  });

  it('when a domain error subclasses a kind, then it answers with that kind’s status and its own code', () => {
    expect(toProblem(new OrderNotFound(7))).toMatchObject({
      status: 404,
      code: 'ORDER_NOT_FOUND',
      detail: 'Order 7 does not exist.',
    });
  });

  it('when the contract validator rejects a request, then 400 VALIDATION_FAILED names each field in the contracts’ terms', () => {
    const error = new validatorErrors.BadRequest({
      path: '/body/items/0/qty',
      message: 'request/body/items/0/qty must be >= 1',
      errors: [
        { path: '/body/items/0/qty', message: 'must be >= 1' },
        { path: '/params/id', message: 'must be integer' },
        { path: '/headers/x-idempotency-key', message: 'is required' },
      ],
    });

    expect(toProblem(error)).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'The request is invalid.',
      errors: [
        { field: 'body.items.0.qty', message: 'must be >= 1' },
        { field: 'path.id', message: 'must be integer' },
        { field: 'header.x-idempotency-key', message: 'is required' },
      ],
    });
  });

  it.each([
    [
      new validatorErrors.Unauthorized({ path: '/x', message: 'The bearer token has expired.' }),
      401,
      'UNAUTHORIZED',
    ],
    [new validatorErrors.Forbidden({ path: '/x', message: 'wrong kind' }), 403, 'FORBIDDEN'],
    [new validatorErrors.NotFound({ path: '/x', message: 'not found' }), 404, 'NOT_FOUND'],
    [new validatorErrors.NotAcceptable({ path: '/x', message: 'no' }), 406, 'NOT_ACCEPTABLE'],
  ])('when the validator throws %s, then it is recognised by its class', (error, status, code) => {
    expect(toProblem(error)).toEqual({ status, code, detail: error.message });
  });

  it('when a method is not allowed, then 405 with an Allow header that names HEAD wherever GET is allowed', () => {
    const error = new validatorErrors.MethodNotAllowed({
      path: '/products',
      message: 'PUT method not allowed',
      headers: { Allow: 'GET, POST' },
    });

    expect(toProblem(error)).toEqual({
      status: 405,
      code: 'METHOD_NOT_ALLOWED',
      detail: 'PUT method not allowed; see the Allow header.',
      headers: { Allow: 'GET, POST, HEAD' },
    });
  });

  it('when the body is of another media type, then 415 saying which one was sent', () => {
    const error = new validatorErrors.UnsupportedMediaType({
      path: '/x',
      message: 'unsupported media type text/plain',
    });

    expect(toProblem(error)).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'The request body must be application/json (got text/plain).',
    });
  });

  it('when the body parser refuses a content coding, then 415 UNSUPPORTED_CONTENT_ENCODING with Accept-Encoding: identity', () => {
    const error = Object.assign(new Error('content encoding unsupported'), {
      type: 'encoding.unsupported',
      encoding: 'br',
      status: 415,
    });

    expect(toProblem(error)).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_CONTENT_ENCODING',
      headers: { 'Accept-Encoding': 'identity' },
    });
  });

  it('when the JSON body is not UTF-8, then 400 INVALID_JSON saying so', () => {
    const error = Object.assign(new Error('not UTF-8'), { type: INVALID_UTF8, status: 400 });

    expect(toProblem(error)).toMatchObject({
      status: 400,
      code: 'INVALID_JSON',
      detail: expect.stringContaining('UTF-8'),
    });
  });

  it('when something only looks like a validator error (a status field), then it is a 500 that reveals nothing', () => {
    const impostor = Object.assign(new Error('secret internals'), { status: 404 });

    expect(toProblem(impostor)).toEqual({
      status: 500,
      code: 'INTERNAL_ERROR',
      detail: 'An unexpected error occurred.',
    });
  });

  it('when the body parser fails, then its error type decides', () => {
    expect(toProblem(Object.assign(new Error('x'), { type: 'entity.parse.failed' }))).toMatchObject({
      status: 400,
      code: 'INVALID_JSON',
    });
    expect(toProblem(Object.assign(new Error('x'), { type: 'entity.too.large' }))).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      detail: 'The request body is larger than 100 kB.',
    });
  });

  it('when the database cannot be reached, then 503 DATABASE_UNAVAILABLE', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

    expect(toProblem(error)).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
  });

  it('when any other error is thrown, then 500 INTERNAL_ERROR without its message', () => {
    expect(toProblem(new TypeError('cannot read x of undefined'))).toEqual({
      status: 500,
      code: 'INTERNAL_ERROR',
      detail: 'An unexpected error occurred.',
    });
  });
});

describe('buildProblem', () => {
  it('when built, then it is an RFC 9457 body with a type URI from the code and the status’s title', () => {
    const problem = buildProblem({
      ...toProblem(new ValidationFailed([{ field: 'body.email', message: 'must match format "email"' }])),
      instance: '/customers',
      correlationId: 'abc',
    });

    expect(problem).toEqual({
      type: 'https://b2b-orders.example/problems/validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is invalid.',
      code: 'VALIDATION_FAILED',
      instance: '/customers',
      correlationId: 'abc',
      errors: [{ field: 'body.email', message: 'must match format "email"' }],
    });
  });
});
