// Parses and validates contracts/events.yaml (AsyncAPI 3.0.0) with @asyncapi/parser: the
// document itself, its $refs into the OpenAPI contracts (read from the file system) and
// every message payload. Exits 1 on any diagnostic of severity error; counts the warnings.
//
// The payloads are OpenAPI 3.0 schemas (`schemaFormat: application/vnd.oai.openapi;
// version=3.0.0`), the very schemas the APIs answer with. The parser reads only AsyncAPI
// schemas by itself; the small schema parser below reads OpenAPI 3.0 ones the way
// @asyncapi/openapi-schema-parser does: `nullable` becomes a `null` type, `example` an
// `examples` entry, and the result is compiled with ajv to catch a broken schema.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser, fromFile, DiagnosticSeverity } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Another file may be named (how a deliberately broken copy is shown to fail).
const source = path.resolve(process.argv[2] ?? path.join(root, 'contracts/events.yaml'));

const OPENAPI_30_FORMATS = [
  'application/vnd.oai.openapi;version=3.0.0',
  'application/vnd.oai.openapi+json;version=3.0.0',
  'application/vnd.oai.openapi+yaml;version=3.0.0',
];
// OpenAPI keywords JSON Schema does not have (nullable and example are translated).
const OPENAPI_ONLY = new Set(['discriminator', 'xml', 'externalDocs', 'deprecated', 'readOnly', 'writeOnly']);

/** An OpenAPI 3.0 Schema Object as a JSON Schema (draft-07) one. */
export function openApiToJsonSchema(schema) {
  if (Array.isArray(schema)) return schema.map(openApiToJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const converted = {};
  for (const [key, value] of Object.entries(schema)) {
    if (OPENAPI_ONLY.has(key) || key === 'nullable') continue;
    if (key === 'example') converted.examples = [value];
    else if (key === 'properties')
      converted.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [name, openApiToJsonSchema(property)]),
      );
    else if (['items', 'additionalProperties', 'not', 'allOf', 'anyOf', 'oneOf'].includes(key))
      converted[key] = openApiToJsonSchema(value);
    else converted[key] = value;
  }
  if (schema.nullable === true) {
    if (typeof converted.type === 'string') converted.type = [converted.type, 'null'];
    if (Array.isArray(converted.enum) && !converted.enum.includes(null))
      converted.enum = [...converted.enum, null];
  }
  return converted;
}

function compiler() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
  ajv.addFormat('int32', { type: 'number', validate: Number.isInteger });
  return ajv;
}

/** A schema parser for OpenAPI 3.0 payloads (see the top of this file). */
const openApiSchemaParser = {
  getMimeTypes: () => OPENAPI_30_FORMATS,
  validate: ({ data, path: location }) => {
    try {
      compiler().compile(openApiToJsonSchema(data));
      return [];
    } catch (error) {
      return [{ message: `not a valid OpenAPI 3.0 schema: ${error.message}`, path: location }];
    }
  },
  parse: ({ data }) => openApiToJsonSchema(data),
};

const parser = new Parser({ schemaParsers: [openApiSchemaParser] });
const { document, diagnostics } = await fromFile(parser, source).parse();

const where = (diagnostic) => {
  const line = diagnostic.range?.start?.line;
  const at = diagnostic.path?.length ? ` at ${diagnostic.path.join('.')}` : '';
  return `${path.relative(root, diagnostic.source ?? source)}${line === undefined ? '' : `:${line + 1}`}${at}`;
};
const errors = diagnostics.filter((diagnostic) => diagnostic.severity === DiagnosticSeverity.Error);
const warnings = diagnostics.filter((diagnostic) => diagnostic.severity === DiagnosticSeverity.Warning);
for (const diagnostic of [...errors, ...warnings]) {
  const label = diagnostic.severity === DiagnosticSeverity.Error ? 'error' : 'warning';
  console.error(`${where(diagnostic)}: ${label} ${diagnostic.code}: ${diagnostic.message}`);
}
if (errors.length > 0 || !document) {
  console.error(`${path.relative(root, source)}: ${errors.length} error(s), ${warnings.length} warning(s)`);
  process.exit(1);
}
// The parser checks examples against AsyncAPI schemas only: check them against the payloads here.
const ajv = compiler();
let examples = 0;
for (const message of document.allMessages()) {
  // A multi-format payload keeps its format: { schemaFormat, schema } with `schema` as parsed above.
  const payload = message.payload().json();
  const validate = ajv.compile(payload.schemaFormat ? payload.schema : payload);
  for (const example of message.examples()) {
    examples += 1;
    if (!validate(example.payload())) {
      errors.push(example);
      console.error(
        `${path.relative(root, source)}: error: example ${example.name()} of message ${message.name()} does not ` +
          `match its payload: ${ajv.errorsText(validate.errors)}`,
      );
    }
  }
}
if (errors.length > 0) process.exit(1);
const messages = document.allMessages().length;
console.log(
  `${path.relative(root, source)}: valid AsyncAPI ${document.version()} (${document.channels().length} channels, ` +
    `${messages} messages, ${examples} examples), ${warnings.length} warning(s)`,
);
