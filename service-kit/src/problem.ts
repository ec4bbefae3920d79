import { STATUS_CODES } from 'node:http';
import type { FieldError } from './errors';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The RFC 9457 body every contract declares as `Problem`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldError[];
}

export function buildProblem(input: {
  status: number;
  code: string;
  detail: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldError[];
}): Problem {
  const problem: Problem = {
    type: `https://b2b-orders.example/problems/${input.code.toLowerCase().replaceAll('_', '-')}`,
    title: STATUS_CODES[input.status] ?? 'Error',
    status: input.status,
    detail: input.detail,
    code: input.code,
  };
  if (input.instance !== undefined) problem.instance = input.instance;
  if (input.correlationId !== undefined) problem.correlationId = input.correlationId;
  if (input.errors !== undefined && input.errors.length > 0) problem.errors = input.errors;
  return problem;
}
