/**
 * The JSON request body type of a contract operation, taken from the generated
 * `operations[...]` types so no handler repeats a schema by hand.
 */
export type JsonRequestBody<Operation> = Operation extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;
