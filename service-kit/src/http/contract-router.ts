import { Router, type Request, type Response } from 'express';
import type { OpenApiDocument } from '@b2b/contracts/document';
import { callerOf, type Principal } from '../auth';
import { ValidationFailed, type FieldError } from '../errors';
import { parseDecimalInteger, parseInstant } from '../strict-input';
import { correlationIdOf } from './correlation';

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

/**
 * The operations every API serves through service-kit's ops routes, not through handlers
 * (`/docs/<name>.yaml`: the other parts' contracts, read-only).
 */
export type OpsPath =
  '/health' | '/metrics' | '/openapi.yaml' | '/docs' | '/docs/assets/{file}' | `/docs/${string}.yaml`;

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
  /**
   * The client's address: Express's `request.ip`, i.e. the socket's peer unless the app
   * trusts proxy hops (`trust proxy`), in which case it is read from X-Forwarded-For.
   */
  clientAddress: string;
  /** The request's correlation id, to pass on to every downstream call. */
  correlationId: string;
  /**
   * Who sent the request, as its operation's security authenticated it; undefined only on
   * an operation that requires no credentials.
   */
  caller: Principal | undefined;
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

interface SchemaSpec {
  type?: string;
  format?: string;
}

interface ParameterSpec {
  name: string;
  in: string;
  schema?: SchemaSpec | { $ref: string };
}

interface OperationSpec {
  parameters?: Array<ParameterSpec | { $ref: string }>;
  requestBody?: { required?: boolean } | { $ref: string };
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

/** Reads one raw value as its schema says, or returns the message that refuses it. */
type Parse = (raw: string) => { value: unknown } | { refused: string };

/**
 * Path, query and header values reach Express as text. express-openapi-validator has
 * checked them already, but it reads `0x1`, `1e0`, ` 1` as the integer 1 and rolls
 * 2026-02-31 over to March 3: here each kind is read with service-kit's strict parser,
 * and anything that is not exactly what the contract states is refused (400).
 */
function parserFor(parameter: ParameterSpec, schema: SchemaSpec | undefined): Parse {
  const { type, format } = schema ?? {};
  if (type === 'integer') {
    return (raw) => {
      const value = parseDecimalInteger(raw);
      return value === undefined ? { refused: 'must be a plain decimal integer' } : { value };
    };
  }
  if (type === 'string' && format === 'date-time') {
    return (raw) =>
      parseInstant(raw) === undefined
        ? { refused: 'must be a real RFC 3339 date-time, at most to the millisecond' }
        : { value: raw };
  }
  if (type === 'string' || type === undefined) return (raw) => ({ value: raw });
  throw new Error(`Parameter ${parameter.name}: type ${type} is not supported`);
}

/**
 * The query's values as sent, percent-decoded strictly: a value whose escapes are not
 * UTF-8 (`%ff`) is undefined here, where Express's parser would have made it U+FFFD.
 */
function strictQuery(url: string): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  for (const pair of query.split('&').filter(Boolean)) {
    const [name = '', raw = ''] = pair.split(/=(.*)/s);
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text.replaceAll('+', ' '));
      } catch {
        return undefined;
      }
    };
    const key = decode(name);
    if (key !== undefined) values.set(key, decode(raw));
  }
  return values;
}

/** A request as read here, before the contract's types are put on it. */
interface ReadRequest {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  body: unknown;
  clientAddress: string;
  correlationId: string;
  caller: Principal | undefined;
}

/**
 * Builds the typed request from Express's request, reading only what the operation
 * declares. Throws ValidationFailed listing every value that its strict parser refuses.
 */
function requestReader(document: OpenApiDocument, path: string, method: HttpMethod) {
  const item = document.paths[path] as Record<string, OperationSpec> & OperationSpec;
  const declared = [...(item.parameters ?? []), ...(item[method]?.parameters ?? [])].map((parameter) =>
    resolveRef(document, parameter),
  );
  const readers = declared.map((parameter) => ({
    parameter,
    parse: parserFor(parameter, parameter.schema && resolveRef<SchemaSpec>(document, parameter.schema)),
  }));
  const requestBody = item[method]?.requestBody;
  const isBodyRequired = requestBody !== undefined && resolveRef(document, requestBody).required === true;
  return async (request: Request, response: Response): Promise<ReadRequest> => {
    const values: Record<'path' | 'query' | 'header', Record<string, unknown>> = {
      path: {},
      query: {},
      header: {},
    };
    const refused: FieldError[] = [];
    const query = request.originalUrl.includes('?') ? strictQuery(request.originalUrl) : undefined;
    for (const { parameter, parse } of readers) {
      const { name } = parameter;
      const location = parameter.in as 'path' | 'query' | 'header';
      let raw: string | undefined;
      if (location === 'path') {
        // `{name}` becomes `:name`, one segment: Express gives it as a string (arrays are for wildcards).
        const value = request.params[name];
        raw = typeof value === 'string' ? value : undefined;
      }
      if (location === 'header') raw = request.get(name);
      if (location === 'query' && query?.has(name)) {
        raw = query.get(name);
        if (raw === undefined) {
          refused.push({ field: `query.${name}`, message: 'must be percent-encoded UTF-8' });
          continue;
        }
      }
      if (raw === undefined) continue;
      const parsed = parse(raw);
      if ('refused' in parsed) refused.push({ field: `${location}.${name}`, message: parsed.refused });
      else values[location][name] = parsed.value;
    }
    // A request without a body (none sent, or an empty one) where the contract requires one:
    // the validator lets some through (a PATCH), and a handler must never meet `undefined`.
    if (isBodyRequired && request.body === undefined) refused.push({ field: 'body', message: 'is required' });
    if (refused.length > 0) throw new ValidationFailed(refused);
    return {
      params: values.path,
      query: values.query,
      headers: values.header,
      body: request.body,
      clientAddress: request.ip ?? request.socket.remoteAddress ?? '',
      correlationId: correlationIdOf(response),
      caller: await callerOf(request),
    };
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
      // The one place untyped request data meets the contract's types: express-openapi-validator
      // has validated it against this very operation, and the strict parsers above have read it.
      const handle = handler as (request: ReadRequest) => Promise<SentResponse>;
      router[method as HttpMethod](expressPath(path), async (request, response) => {
        send(response, await handle(await read(request, response)));
      });
    }
  }
  return router;
}
