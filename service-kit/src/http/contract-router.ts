import { Router, type Request, type Response } from 'express';
import type { OpenApiDocument } from '@b2b/contracts/document';

/**
 * Routes typed by a contract's generated `paths`: a handler receives the operation's
 * path, query and header parameters and JSON body with the contract's types, and must
 * answer one of the operation's documented success statuses with the body documented for
 * it. A handler for a path or method the contract lacks, or an operation without a
 * handler, is a type error; express-openapi-validator still validates every request (and,
 * in tests, every response) at run time before a handler runs. In the spirit of
 * Backstage's `createValidatedOpenApiRouter` (backend-openapi-utils).
 */

type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** The operations every API serves through service-kit's ops routes, not through handlers. */
export type OpsPath = '/health' | '/openapi.yaml' | '/docs' | '/docs/assets/{file}';

type ParametersIn<Operation, Location extends 'path' | 'query' | 'header'> = Operation extends {
  parameters: { [L in Location]?: infer Values };
}
  ? [Values] extends [never]
    ? Record<string, never>
    : NonNullable<Values>
  : Record<string, never>;

/** The JSON request body of an operation (`never` when it takes none). */
export type JsonRequestBody<Operation> = Operation extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

/** A request as a handler sees it: validated against the contract and typed by it. */
export interface ContractRequest<Operation> {
  params: ParametersIn<Operation, 'path'>;
  query: ParametersIn<Operation, 'query'>;
  headers: ParametersIn<Operation, 'header'>;
  body: JsonRequestBody<Operation>;
}

/**
 * JSON text that was produced from a `Body` earlier (e.g. stored with an idempotency key)
 * and must be sent byte for byte, not re-serialized.
 */
export class JsonText<Body> {
  declare private readonly body: Body;
  private constructor(readonly text: string) {}

  static of<Body>(value: Body): JsonText<Body> {
    return new JsonText<Body>(JSON.stringify(value));
  }

  /** Text known to be the JSON of a `Body` (it was written by `of`). */
  static stored<Body>(text: string): JsonText<Body> {
    return new JsonText<Body>(text);
  }
}

type SuccessStatus = 200 | 201 | 202 | 204;

type ResponseOf<Status, Documented> = Documented extends {
  content: { 'application/json': infer Body };
}
  ? { status: Status; body: Body | JsonText<Body>; headers?: Record<string, string> }
  : { status: Status; body?: undefined; headers?: Record<string, string> };

/** One of the operation's documented success responses. */
export type ContractResponse<Operation> = Operation extends { responses: infer Responses }
  ? {
      [Status in keyof Responses & SuccessStatus]: ResponseOf<Status, Responses[Status]>;
    }[keyof Responses & SuccessStatus]
  : never;

export type OperationHandler<Operation> = (
  request: ContractRequest<Operation>,
) => Promise<ContractResponse<Operation>>;

/** path → method → handler, for every operation of `Paths` (generated `paths`). */
export type ContractHandlers<Paths> = {
  [Path in keyof Paths]: {
    [
      Method in keyof Paths[Path] as Method extends HttpMethod
        ? Paths[Path][Method] extends undefined
          ? never
          : Method
        : never
    ]-?: OperationHandler<NonNullable<Paths[Path][Method]>>;
  };
};

/** The handlers an API writes itself: every operation except the shared ops routes. */
export type ApiHandlers<Paths> = ContractHandlers<Omit<Paths, OpsPath>>;

interface ParameterSpec {
  name: string;
  in: string;
  schema?: { type?: string };
}

interface OperationSpec {
  parameters?: Array<ParameterSpec | { $ref: string }>;
}

/** Follows a local `#/components/...` reference of the bundled document. */
function resolveRef<T>(document: OpenApiDocument, value: T | { $ref: string }): T {
  if (typeof value !== 'object' || value === null || !('$ref' in value)) return value;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
  if (target === undefined) throw new Error(`The contract has no ${value.$ref}`);
  return resolveRef(document, target as T);
}

type Coerce = (raw: string) => unknown;

/**
 * Query and path values reach Express as strings; the validator has already checked them
 * against their schemas, so converting by the schema's type is all that is left.
 */
function coercionFor(parameter: ParameterSpec): Coerce {
  switch (parameter.schema?.type) {
    case 'integer':
    case 'number':
      return Number;
    case 'string':
    case undefined:
      return (raw) => raw;
    default:
      throw new Error(`Parameter ${parameter.name}: type ${parameter.schema?.type} is not supported`);
  }
}

/** Builds the typed request from Express's request, reading only what the operation declares. */
function requestReader(document: OpenApiDocument, path: string, method: HttpMethod) {
  const item = document.paths[path] as Record<string, OperationSpec> & OperationSpec;
  const declared = [...(item.parameters ?? []), ...(item[method]?.parameters ?? [])].map((parameter) =>
    resolveRef(document, parameter),
  );
  const readers = declared.map((parameter) => ({ parameter, coerce: coercionFor(parameter) }));
  return (request: Request): ContractRequest<unknown> => {
    const params: Record<string, unknown> = {};
    const query: Record<string, unknown> = {};
    const headers: Record<string, unknown> = {};
    for (const { parameter, coerce } of readers) {
      const { name } = parameter;
      if (parameter.in === 'path') params[name] = coerce(request.params[name] as string);
      if (parameter.in === 'query') {
        const raw = (request.query as Record<string, string | undefined>)[name];
        if (raw !== undefined) query[name] = coerce(raw);
      }
      if (parameter.in === 'header') {
        const raw = request.get(name);
        if (raw !== undefined) headers[name] = coerce(raw);
      }
    }
    return { params, query, headers, body: request.body as never } as ContractRequest<unknown>;
  };
}

interface SentResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function send(response: Response, result: SentResponse): void {
  response.status(result.status);
  if (result.headers) response.set(result.headers);
  if (result.body === undefined) response.end();
  else if (result.body instanceof JsonText) response.type('application/json').send(result.body.text);
  else response.json(result.body);
}

/** `/orders/{id}/confirm` → `/orders/:id/confirm`. */
const expressPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

/**
 * Mounts `handlers` on a router, one Express route per contract operation. Mount it after
 * the contract validator, which has rejected every request the contract does not allow.
 * Throws at start-up when a handler's path or method is not in `document`.
 */
export function contractRouter<Paths>(document: OpenApiDocument, handlers: ApiHandlers<Paths>): Router {
  const router = Router();
  for (const [path, methods] of Object.entries(handlers as Record<string, Record<string, unknown>>)) {
    for (const [method, handler] of Object.entries(methods)) {
      const operation = (document.paths[path] as Record<string, unknown> | undefined)?.[method];
      if (!operation) throw new Error(`The contract has no operation ${method.toUpperCase()} ${path}`);
      const read = requestReader(document, path, method as HttpMethod);
      const handle = handler as OperationHandler<unknown>;
      router[method as HttpMethod](expressPath(path), async (request, response) => {
        send(response, (await handle(read(request))) as SentResponse);
      });
    }
  }
  return router;
}
