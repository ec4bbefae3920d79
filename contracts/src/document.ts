/** The parts of a bundled OpenAPI 3.0 document that code reads; the rest is left untyped. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, unknown>;
  components?: Record<string, unknown>;
}
