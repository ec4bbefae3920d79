// Reads the bundled contract a Dredd run is given and turns its OpenAPI 3.0 response schemas
// into self-contained JSON Schema (draft-07), because Dredd 14 does not check OAS3 response
// bodies against their schemas at all: the hooks hand these to Gavel as `bodySchema`.
const fs = require('node:fs');
const YAML = require('yaml');

// Gavel's ajv throws on formats it does not know; OpenAPI adds int64, int32 and password.
const JSON_SCHEMA_FORMATS = new Set(['date-time', 'email', 'uri', 'uri-reference']);
// OpenAPI-only keywords that are not JSON Schema (nullable is translated, not dropped).
const OPENAPI_ONLY = new Set(['example', 'nullable', 'xml', 'externalDocs', 'discriminator', 'deprecated']);

function loadContract(file) {
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

function resolvePointer(contract, ref) {
  if (!ref.startsWith('#/')) throw new Error(`Only local $refs can be resolved, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node, key) => node?.[key], contract);
}

/** Follows `$ref`s until a node that is not a reference. */
function deref(contract, node) {
  let current = node;
  for (let depth = 0; current && typeof current.$ref === 'string'; depth += 1) {
    if (depth > 20) throw new Error(`$ref loop at ${current.$ref}`);
    current = resolvePointer(contract, current.$ref);
  }
  return current;
}

/** An OpenAPI 3.0 schema as a self-contained draft-07 JSON Schema. */
function toJsonSchema(contract, schema, depth = 0) {
  if (depth > 40) throw new Error('Schema nesting too deep (recursive schema?)');
  const resolved = deref(contract, schema);
  if (!resolved || typeof resolved !== 'object') return resolved;
  if (Array.isArray(resolved)) return resolved.map((item) => toJsonSchema(contract, item, depth + 1));
  const converted = {};
  for (const [key, value] of Object.entries(resolved)) {
    if (OPENAPI_ONLY.has(key)) continue;
    if (key === 'format' && !JSON_SCHEMA_FORMATS.has(value)) continue;
    if (key === 'properties') {
      converted.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, toJsonSchema(contract, property, depth + 1)]),
      );
    } else if (['items', 'additionalProperties', 'not'].includes(key) && typeof value === 'object') {
      converted[key] = toJsonSchema(contract, value, depth + 1);
    } else if (['allOf', 'anyOf', 'oneOf'].includes(key)) {
      converted[key] = value.map((item) => toJsonSchema(contract, item, depth + 1));
    } else {
      converted[key] = value;
    }
  }
  if (resolved.nullable === true) {
    if (typeof converted.type === 'string') converted.type = [converted.type, 'null'];
    if (Array.isArray(converted.enum) && !converted.enum.includes(null))
      converted.enum = [...converted.enum, null];
  }
  return converted;
}

/** The response an operation documents for a status (`$ref`s followed), or undefined. */
function documentedResponse(contract, method, pathTemplate, status) {
  const operation = contract.paths?.[pathTemplate]?.[method.toLowerCase()];
  if (!operation) return undefined;
  return deref(contract, operation.responses?.[String(status)]);
}

/** The JSON Schema of a documented response body, with `$schema` set so Gavel picks draft-07. */
function responseBodySchema(contract, method, pathTemplate, status, mediaType) {
  const response = documentedResponse(contract, method, pathTemplate, status);
  const schema = response?.content?.[mediaType]?.schema;
  if (!schema) return undefined;
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...toJsonSchema(contract, schema) };
}

module.exports = { loadContract, deref, toJsonSchema, documentedResponse, responseBodySchema };
