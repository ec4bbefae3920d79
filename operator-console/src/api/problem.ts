import { FIELD_HINTS } from '../../../generated/field-hints';
import type { Problem } from '../contract-types';
import { CORRELATION_HEADER } from './clients';

function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).title === 'string' &&
    typeof (body as Problem).status === 'number'
  );
}

/**
 * What an operator is shown for a failed call: the problem details the API sent, or, when
 * something else answered (a gateway's bare error page), a problem made from the status,
 * so every failure looks the same on screen. The correlation id comes from the body, else
 * from the response header.
 */
export function problemOf(error: unknown, response: Response): Problem {
  const correlationId = response.headers.get(CORRELATION_HEADER) ?? undefined;
  if (isProblem(error)) return { ...error, correlationId: error.correlationId ?? correlationId };
  return {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: `The server answered ${response.status} without problem details.`,
    code: 'UNEXPECTED_RESPONSE',
    correlationId,
  };
}

type FieldHints = typeof FIELD_HINTS;
/** An operation whose request body the contracts describe, e.g. `['customers', 'POST /customers']`. */
export type HintedOperation = {
  [Contract in keyof FieldHints]: [Contract, keyof FieldHints[Contract]];
}[keyof FieldHints];

/**
 * What a field of an operation's request body must be, in the contract's words (generated
 * from its schema: lengths, range, description); `items.3.qty` is looked up as `items.*.qty`.
 */
export function fieldHint([contract, operation]: HintedOperation, field: string): string | undefined {
  const fields = FIELD_HINTS[contract][operation as keyof FieldHints[typeof contract]] as
    Record<string, string> | undefined;
  return fields?.[field.replace(/\.\d+(?=\.|$)/g, '.*')];
}

export interface FieldErrorOptions {
  /** Where the fields are (`body` by default): `body.email` → `email`. */
  location?: string;
  /** The operation sent, so that a validator's message gives way to the contract's description of the field. */
  operation?: HintedOperation;
  /** Conflicts that belong to one field, by problem code (`{ EMAIL_TAKEN: 'email' }`): their detail is shown there. */
  conflicts?: Record<string, string>;
}

/**
 * The problem's field errors for one part of the request, keyed by the path within it
 * (`body.items.0.qty` → `items.0.qty`), in an operator's words: a validation error reads
 * as what the contract says the field must be (never a JSON-Schema message or a regex), a
 * conflict named in `conflicts` is its detail on its field, and errors a use case wrote
 * itself ("20 requested, 15 available") stay as they are.
 */
export function fieldErrorsOf(
  problem: Problem | undefined,
  { location = 'body', operation, conflicts = {} }: FieldErrorOptions = {},
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!problem) return errors;
  const add = (key: string, message: string) => {
    if (errors[key]?.includes(message)) return;
    errors[key] = errors[key] ? `${errors[key]}; ${message}` : message;
  };
  for (const { field, message } of problem.errors ?? []) {
    if (!field.startsWith(`${location}.`)) continue;
    const key = field.slice(location.length + 1);
    add(key, problem.code === 'VALIDATION_FAILED' ? validationMessage(message, operation, key) : message);
  }
  const conflictField = problem.code ? conflicts[problem.code] : undefined;
  if (conflictField && problem.detail) add(conflictField, problem.detail);
  return errors;
}

/** The field paths `fieldErrorsOf` put on fields, as problem details name them (`body.email`), for ProblemAlert. */
export function fieldsShown(errors: Record<string, string>, location = 'body'): string[] {
  return Object.keys(errors).map((key) => `${location}.${key}`);
}

/**
 * A validator's message for one field as an operator reads it: "Required.", else what the
 * contract says the field must be (when the operation is known), else the message without
 * regexes or quoted schema text.
 */
export function validationMessage(
  message: string,
  operation: HintedOperation | undefined,
  field: string,
): string {
  if (/required/i.test(message)) return 'Required.';
  const hint = operation && fieldHint(operation, field);
  if (hint) return hint;
  // No description: at least no regex or quoted schema text.
  return /pattern|format/i.test(message)
    ? 'Not in the expected form.'
    : message.replace(/"[^"]*"/g, '').trim();
}

/** A request field as an operator names it: `body.items.1.qty` → "Line 2 quantity", `body.price_cents` → "Price". */
export function fieldLabel(field: string): string {
  const words: Record<string, string> = {
    qty: 'quantity',
    sku: 'SKU',
    price_cents: 'price',
    customer_id: 'customer',
    product_id: 'product',
    url: 'URL',
  };
  const parts = field
    .split('.')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `${Number(part) + 1}` : (words[part] ?? part.replaceAll('_', ' '))));
  const text = parts.join(' ').replace(/^items (\d+)/, 'line $1');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
