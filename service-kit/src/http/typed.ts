/**
 * Request and response types of a contract operation, taken from the generated
 * `operations[...]` types so no handler repeats a schema by hand.
 */
export type JsonRequestBody<Operation> = Operation extends {
  requestBody?: { content: { 'application/json': infer Body } };
}
  ? Body
  : never;

export type JsonResponseBody<Operation, Status extends number> = Operation extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;
