/**
 * Domain errors. Use cases throw these; ONE middleware (http/problem-handler.ts) turns them
 * into RFC 9457 problem details with the status, title and stable code they carry.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly fieldErrors?: FieldError[],
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export class BadRequest extends AppError {
  constructor(code: string, detail: string, fieldErrors?: FieldError[]) {
    super(400, code, detail, fieldErrors);
  }
}

export class Unauthorized extends AppError {
  constructor(detail = 'A valid bearer token is required.') {
    super(401, 'UNAUTHORIZED', detail);
  }
}

export class Forbidden extends AppError {
  constructor(detail = 'This operation does not accept this kind of credential.') {
    super(403, 'FORBIDDEN', detail);
  }
}

export class NotFound extends AppError {
  constructor(code: string, detail: string) {
    super(404, code, detail);
  }
}

export class Conflict extends AppError {
  constructor(code: string, detail: string) {
    super(409, code, detail);
  }
}

export class UnprocessableEntity extends AppError {
  constructor(code: string, detail: string) {
    super(422, code, detail);
  }
}

export class BadGateway extends AppError {
  constructor(code: string, detail: string) {
    super(502, code, detail);
  }
}

export class ServiceUnavailable extends AppError {
  constructor(code: string, detail: string) {
    super(503, code, detail);
  }
}

export class GatewayTimeout extends AppError {
  constructor(code: string, detail: string) {
    super(504, code, detail);
  }
}
