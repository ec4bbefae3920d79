/**
 * Errors. Use cases throw domain errors named for what went wrong (`OrderNotFound`,
 * `InsufficientStock`), each a subclass of one of the kinds below; `toProblem` (problem.ts)
 * turns any of them into RFC 9457 problem details, its status taken from ONE table
 * (`STATUS_OF_KIND`). Kinds follow RFC 9110 §15 status semantics.
 */
export interface FieldError {
  field: string;
  message: string;
}

/** Base of every error a client is meant to see: a stable machine-readable `code` and a detail. */
export abstract class AppError extends Error {
  /** Response headers that belong with this error (e.g. Retry-After, Allow). */
  headers?: Record<string, string>;

  constructor(
    readonly code: string,
    detail: string,
    readonly fieldErrors?: FieldError[],
  ) {
    super(detail);
    this.name = new.target.name;
  }

  /** From STATUS_OF_KIND. (express-openapi-validator reads `status` from security handlers' errors.) */
  get status(): number {
    return statusOf(this);
  }
}

/** The request is malformed or breaks a rule of its operation (400). */
export class InputError extends AppError {}
/** Missing or invalid credentials (401). */
export class Unauthorized extends AppError {
  constructor(detail = 'A valid bearer token is required.', code = 'UNAUTHORIZED') {
    super(code, detail);
  }
}
/** Valid credentials of a kind the operation does not accept (403). */
export class Forbidden extends AppError {
  constructor(detail = 'This operation does not accept this kind of credential.') {
    super('FORBIDDEN', detail);
  }
}
/** The resource named by the path does not exist (404). */
export class NotFound extends AppError {}
/** The request conflicts with the current state of the resource (409). */
export class Conflict extends AppError {}
/** The request body is larger than BODY_LIMIT_BYTES (413). */
export class PayloadTooLarge extends AppError {
  constructor() {
    super('PAYLOAD_TOO_LARGE', `The request body is larger than ${BODY_LIMIT_BYTES / 1024} kB.`);
  }
}
/** The request body is not JSON (415); the contracts accept application/json only. */
export class UnsupportedMediaType extends AppError {
  constructor(contentType: string | undefined) {
    super(
      'UNSUPPORTED_MEDIA_TYPE',
      `The request body must be application/json (got ${contentType === undefined ? 'no Content-Type' : contentType}).`,
    );
  }
}
/**
 * The request body has a content coding (415): every part reads bodies as they are sent,
 * `identity` only, and says so in Accept-Encoding (RFC 7694 §3).
 */
export class UnsupportedContentEncoding extends AppError {
  constructor(contentEncoding: string) {
    super(
      'UNSUPPORTED_CONTENT_ENCODING',
      `The request body must be sent without a content coding (got Content-Encoding: ${contentEncoding}).`,
    );
    this.headers = { 'Accept-Encoding': 'identity' };
  }
}
/** The body refers to something that does not exist (422). */
export class UnknownReference extends AppError {}
/** The caller sent too many requests of a kind (429); carries Retry-After in `headers`. */
export class TooManyRequests extends AppError {}
/** A service we depend on failed or gave an answer we cannot use (502). */
export class UpstreamFailed extends AppError {}
/** We cannot serve the request now, e.g. the database is unreachable (503). */
export class Unavailable extends AppError {}
/** A service we depend on did not answer in time (504). */
export class UpstreamTimeout extends AppError {}

/**
 * Every attempt of a transaction was aborted by the database as conflicting with concurrent
 * ones (deadlock, lock wait timeout, or a Galera certification failure): 503, retry shortly.
 * `cause` is the last attempt's database error (logged, never sent).
 */
export class TransactionConflict extends Unavailable {
  constructor(attempts: number, cause: unknown) {
    super(
      'DATABASE_CONFLICT',
      `The database refused the change ${attempts} times as conflicting with concurrent changes; nothing was written. Try again.`,
    );
    this.cause = cause;
    this.headers = { 'Retry-After': '1' };
  }
}

/** The largest request body any part accepts, in bytes (the APIs' JSON parser and the Lambda). */
export const BODY_LIMIT_BYTES = 100 * 1024;

/** The one table from the kind of an error to its HTTP status; the first matching kind wins. */
export const STATUS_OF_KIND: ReadonlyArray<readonly [abstract new (...args: never[]) => AppError, number]> = [
  [InputError, 400],
  [Unauthorized, 401],
  [Forbidden, 403],
  [NotFound, 404],
  [Conflict, 409],
  [PayloadTooLarge, 413],
  [UnsupportedMediaType, 415],
  [UnsupportedContentEncoding, 415],
  [UnknownReference, 422],
  [TooManyRequests, 429],
  [UpstreamFailed, 502],
  [Unavailable, 503],
  [UpstreamTimeout, 504],
];

/** The HTTP status of an AppError, from STATUS_OF_KIND (500 for a kind missing there). */
export function statusOf(error: AppError): number {
  return STATUS_OF_KIND.find(([Kind]) => error instanceof Kind)?.[1] ?? 500;
}

/** The 400 of a request that breaks the contract's schemas, listing each offending field. */
export class ValidationFailed extends InputError {
  constructor(fieldErrors: FieldError[]) {
    super('VALIDATION_FAILED', 'The request is invalid.', fieldErrors);
  }
}

/**
 * A list cursor this API did not issue (or one that was edited). `parameter` is the query
 * parameter that carried it: `cursor` on the lists, `after` on GET /events.
 */
export class InvalidCursor extends InputError {
  constructor(parameter: 'cursor' | 'after' = 'cursor') {
    super('INVALID_CURSOR', 'The cursor was not issued by this API for this list and these filters.', [
      { field: `query.${parameter}`, message: 'is not a valid cursor' },
    ]);
  }
}
