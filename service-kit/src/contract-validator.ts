import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from '@b2b/contracts/document';

export interface SchemaViolation {
  field: string;
  message: string;
}

function pointer(...segments: string[]): string {
  return segments.map((segment) => segment.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
}

function violations(errors: ErrorObject[] | null | undefined, prefix: string): SchemaViolation[] {
  return (errors ?? []).map((error) => {
    const missing = error.keyword === 'required' ? `.${String(error.params.missingProperty)}` : '';
    const extra =
      error.keyword === 'additionalProperties' ? `.${String(error.params.additionalProperty)}` : '';
    const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return {
      field: [prefix, path].filter(Boolean).join('.') + missing + extra,
      message: error.message ?? 'is invalid',
    };
  });
}

/**
 * Validates bodies against the schemas of a bundled contract with ajv, so nothing
 * repeats a schema by hand. `nullable` is understood by ajv; OpenAPI-only keywords such
 * as `example` need `strict: false`.
 */
export class ContractValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(readonly contract: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
    this.ajv.addFormat('int32', { type: 'number', validate: Number.isInteger });
    this.ajv.addSchema(contract as object, 'contract');
  }

  private validatorAt(ref: string): ValidateFunction {
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(`contract#/${ref}`);
      if (!validate) throw new Error(`The contract has no schema at ${ref}`);
      this.cache.set(ref, validate);
    }
    return validate;
  }

  private operation(method: string, pathTemplate: string): Record<string, unknown> {
    const item = this.contract.paths[pathTemplate] as Record<string, unknown> | undefined;
    const operation = item?.[method.toLowerCase()] as Record<string, unknown> | undefined;
    if (!operation) throw new Error(`The contract has no operation ${method.toUpperCase()} ${pathTemplate}`);
    return operation;
  }

  /** Violations of the operation's application/json request body schema (empty when valid). */
  requestBody(method: string, pathTemplate: string, body: unknown): SchemaViolation[] {
    this.operation(method, pathTemplate);
    const ref = pointer(
      'paths',
      pathTemplate,
      method.toLowerCase(),
      'requestBody',
      'content',
      'application/json',
      'schema',
    );
    const validate = this.validatorAt(ref);
    return validate(body) ? [] : violations(validate.errors, 'body');
  }

  /**
   * Violations of a response: its status must be documented, its content type declared
   * for that status, and its body valid against that content's schema.
   */
  response(
    method: string,
    pathTemplate: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): SchemaViolation[] {
    this.operation(method, pathTemplate);
    const { documented, at } = this.documentedResponse(method, pathTemplate, status);
    if (!documented) return [{ field: 'status', message: `status ${status} is not documented` }];
    const mediaType = (contentType ?? '').split(';')[0]!.trim();
    if (!documented.content) {
      return body === undefined || body === '' ? [] : [{ field: 'body', message: 'must be empty' }];
    }
    if (!(mediaType in documented.content)) {
      return [{ field: 'content-type', message: `${mediaType || 'none'} is not documented for ${status}` }];
    }
    const validate = this.validatorAt(`${at}/${pointer('content', mediaType, 'schema')}`);
    return validate(body) ? [] : violations(validate.errors, 'body');
  }

  /**
   * The response documented for a status, and its JSON pointer. Responses shared between
   * operations are `$ref`s to `components/responses`; they are followed, since ajv cannot
   * address a schema through a `$ref` in the middle of a pointer.
   */
  private documentedResponse(
    method: string,
    pathTemplate: string,
    status: number,
  ): { documented?: { content?: Record<string, unknown> }; at: string } {
    let at = pointer('paths', pathTemplate, method.toLowerCase(), 'responses', String(status));
    let documented = this.resolve(at) as { $ref?: string; content?: Record<string, unknown> } | undefined;
    while (typeof documented?.$ref === 'string' && documented.$ref.startsWith('#/')) {
      at = documented.$ref.slice(2);
      documented = this.resolve(at) as typeof documented;
    }
    return { documented, at };
  }

  private resolve(at: string): unknown {
    return at
      .split('/')
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], this.contract);
  }
}
