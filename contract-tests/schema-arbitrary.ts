import fc from 'fast-check';

/**
 * A small OpenAPI 3.0 schema → fast-check arbitrary generator, enough for the schemas our
 * contracts use: type, enum, minimum/maximum, minLength/maxLength, pattern, the email and
 * date-time formats, required, additionalProperties: false, minProperties, nullable,
 * minItems/maxItems, uniqueItems and local `$ref`s.
 */
export interface Schema {
  $ref?: string;
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minProperties?: number;
  items?: Schema;
  minItems?: number;
  uniqueItems?: boolean;
  maxItems?: number;
}

export interface ArbitraryOptions {
  /** The whole contract, to resolve `#/...` references. */
  contract: unknown;
  /** Arbitraries used instead of the schema for properties of these names (real fixture ids). */
  propertyOverrides?: Record<string, fc.Arbitrary<unknown>>;
  /** Upper bound on generated array lengths and unbounded string lengths, to keep requests small. */
  maxCollectionSize?: number;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export function resolveRef<T = unknown>(contract: unknown, ref: string): T {
  if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], contract) as T;
}

/** The schema with every top-level `$ref` followed. */
export function derefSchema(contract: unknown, schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; current.$ref; depth += 1) {
    if (depth > 20) throw new Error(`$ref loop at ${current.$ref}`);
    current = resolveRef<Schema>(contract, current.$ref);
  }
  return current;
}

function integerBetween(min: number, max: number): fc.Arbitrary<number> {
  if (min >= INT32_MIN && max <= INT32_MAX) return fc.integer({ min, max });
  // fc.integer is 32-bit; ids go up to 2^53 - 1.
  return fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
}

const emailArbitrary = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z]{1,10}$/))
  .map(([local, domain]) => `${local}@${domain}.example`);

const dateTimeArbitrary = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

function stringArbitrary(schema: Schema, maxSize: number): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? Math.max(minLength, maxSize);
  const fitsLength = (value: string) => value.length >= minLength && value.length <= maxLength;
  if (schema.format === 'email') return emailArbitrary.filter(fitsLength);
  if (schema.format === 'date-time') return dateTimeArbitrary;
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter(fitsLength);
  return fc.string({ minLength, maxLength: Math.min(maxLength, Math.max(minLength, maxSize)) });
}

/** An arbitrary of values valid against `schema`. */
export function arbitraryFor(schema: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const resolved = derefSchema(options.contract, schema);
  const maxSize = options.maxCollectionSize ?? 5;
  let arbitrary: fc.Arbitrary<unknown>;

  if (resolved.enum) {
    arbitrary = fc.constantFrom(...resolved.enum);
  } else {
    switch (resolved.type) {
      case 'string':
        arbitrary = stringArbitrary(resolved, maxSize * 4);
        break;
      case 'integer':
        arbitrary = integerBetween(
          Math.ceil(resolved.minimum ?? INT32_MIN),
          Math.floor(resolved.maximum ?? INT32_MAX),
        );
        break;
      case 'number':
        arbitrary = fc.double({
          min: resolved.minimum ?? -1e9,
          max: resolved.maximum ?? 1e9,
          noNaN: true,
          noDefaultInfinity: true,
        });
        break;
      case 'boolean':
        arbitrary = fc.boolean();
        break;
      case 'array': {
        const minItems = resolved.minItems ?? 0;
        const constraints = {
          minLength: minItems,
          maxLength: Math.min(resolved.maxItems ?? minItems + maxSize, minItems + maxSize),
        };
        const items = arbitraryFor(resolved.items ?? {}, options);
        // uniqueItems: distinct by their JSON text, as JSON Schema compares them.
        arbitrary = resolved.uniqueItems
          ? fc.uniqueArray(items, { ...constraints, selector: (item) => JSON.stringify(item) })
          : fc.array(items, constraints);
        break;
      }
      case 'object':
      default:
        arbitrary = objectArbitrary(resolved, options);
    }
  }
  return resolved.nullable
    ? fc.oneof({ weight: 4, arbitrary }, { weight: 1, arbitrary: fc.constant(null) })
    : arbitrary;
}

function objectArbitrary(schema: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const model = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => [
      name,
      options.propertyOverrides?.[name] ?? arbitraryFor(property, options),
    ]),
  );
  const record = fc.record(model, { requiredKeys: (schema.required ?? []) as never[] });
  const minProperties = schema.minProperties ?? 0;
  return minProperties > 0
    ? record.filter((value) => Object.keys(value as object).length >= minProperties)
    : record;
}

/**
 * An arbitrary of values that break `schema` in one way: a wrong type, a bound crossed, a
 * required property missing, an unknown property added, a value outside the enum or the
 * pattern. Callers should still filter with a validator: a mutation may happen to land on a
 * valid value (a nullable field set to null, for instance).
 */
export function invalidArbitraryFor(schema: Schema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const resolved = derefSchema(options.contract, schema);
  const wrongType = wrongTypeArbitrary(resolved);
  const mutations: fc.Arbitrary<unknown>[] = [wrongType];

  if (resolved.enum) mutations.push(fc.constant('NOT_IN_THE_ENUM_!'));
  if (resolved.type === 'string') {
    if (resolved.maxLength !== undefined) mutations.push(fc.constant('x'.repeat(resolved.maxLength + 1)));
    if (resolved.minLength) mutations.push(fc.constant(''));
    if (resolved.pattern || resolved.format)
      mutations.push(fc.constantFrom('not valid!', 'spaces and $ymbols'));
  }
  if (resolved.type === 'integer' || resolved.type === 'number') {
    if (resolved.minimum !== undefined) mutations.push(fc.constant(resolved.minimum - 1));
    if (resolved.maximum !== undefined) mutations.push(fc.constant(resolved.maximum + 1));
    if (resolved.type === 'integer') mutations.push(fc.constant(1.5));
  }
  if (resolved.type === 'array') {
    if (resolved.minItems) mutations.push(fc.constant([]));
    if (resolved.items) {
      mutations.push(invalidArbitraryFor(resolved.items, options).map((item) => [item]));
    }
  }
  if (resolved.type === 'object' || resolved.properties) {
    const valid = objectArbitrary(resolved, options) as fc.Arbitrary<Record<string, unknown>>;
    for (const name of resolved.required ?? []) {
      mutations.push(
        valid.map((value) => Object.fromEntries(Object.entries(value).filter(([key]) => key !== name))),
      );
    }
    if (resolved.additionalProperties === false) {
      mutations.push(valid.map((value) => ({ ...value, unexpected_property: 'surprise' })));
    }
    for (const [name, property] of Object.entries(resolved.properties ?? {})) {
      mutations.push(
        fc
          .tuple(valid, invalidArbitraryFor(property, options))
          .map(([value, broken]) => ({ ...value, [name]: broken })),
      );
    }
  }
  return fc.oneof(...mutations);
}

function wrongTypeArbitrary(schema: Schema): fc.Arbitrary<unknown> {
  const candidates: unknown[] = ['a string', 12345, true, [1, 2], { an: 'object' }];
  if (!schema.nullable) candidates.push(null);
  const isWrong = (value: unknown) => {
    switch (schema.type) {
      case 'string':
        return typeof value !== 'string';
      case 'integer':
      case 'number':
        return typeof value !== 'number';
      case 'boolean':
        return typeof value !== 'boolean';
      case 'array':
        return !Array.isArray(value);
      case 'object':
        return typeof value !== 'object' || value === null || Array.isArray(value);
      default:
        return false;
    }
  };
  const wrong = candidates.filter(isWrong);
  return wrong.length > 0 ? fc.constantFrom(...wrong) : fc.constant(Symbol.for('no wrong type'));
}

/**
 * A string that is not a valid value of a path, query or header parameter with this
 * schema (parameters travel as text, so a wrong type is a non-numeric string).
 */
export function invalidParameterArbitrary(schema: Schema, contract: unknown): fc.Arbitrary<string> {
  const resolved = derefSchema(contract, schema);
  const values: string[] = [];
  if (resolved.type === 'integer' || resolved.type === 'number') {
    values.push('abc', '1.5e', '--1');
    if (resolved.type === 'integer') values.push('1.5');
    if (resolved.minimum !== undefined) values.push(String(resolved.minimum - 1));
    if (resolved.maximum !== undefined && resolved.maximum < Number.MAX_SAFE_INTEGER) {
      values.push(String(resolved.maximum + 1));
    }
    if (resolved.maximum === Number.MAX_SAFE_INTEGER) values.push('99999999999999999999');
  } else if (resolved.enum) {
    values.push('NOT_IN_THE_ENUM', 'shipped');
  } else if (resolved.format === 'date-time') {
    values.push('yesterday', '2026-13-45T99:99:99Z');
  } else {
    if (resolved.maxLength !== undefined) values.push('x'.repeat(resolved.maxLength + 1));
    if (resolved.pattern) values.push('not valid!', 'semi;colon');
  }
  if (values.length === 0) throw new Error(`No invalid value is known for ${JSON.stringify(resolved)}`);
  return fc.constantFrom(...values);
}

/** Whether a parameter schema admits any invalid textual value at all. */
export function canBeInvalidParameter(schema: Schema, contract: unknown): boolean {
  const resolved = derefSchema(contract, schema);
  return Boolean(
    resolved.type === 'integer' ||
    resolved.type === 'number' ||
    resolved.enum ||
    resolved.format === 'date-time' ||
    resolved.maxLength !== undefined ||
    resolved.pattern,
  );
}
