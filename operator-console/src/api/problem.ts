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

/**
 * The problem's field errors for one part of the request (`body` by default), keyed by the
 * path within it: `body.email` → `email`, `body.items.0.qty` → `items.0.qty`.
 */
export function fieldErrorsOf(problem: Problem | undefined, location = 'body'): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const { field, message } of problem?.errors ?? []) {
    if (!field.startsWith(`${location}.`)) continue;
    const key = field.slice(location.length + 1);
    errors[key] = errors[key] ? `${errors[key]}; ${message}` : message;
  }
  return errors;
}
