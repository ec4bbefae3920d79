import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../logger';
import { buildProblem, PROBLEM_CONTENT_TYPE, toProblem } from '../problem';
import { correlationIdOf } from './correlation';

/** The Express end of `toProblem`: every error of a request becomes one problem+json response. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const parts = toProblem(error);
    const correlationId = correlationIdOf(response);
    if (parts.status >= 500) logger.error({ err: error, correlationId }, parts.detail);
    const { headers: _headers, ...problem } = parts;
    const body = buildProblem({
      ...problem,
      instance: request.originalUrl.split('?')[0],
      correlationId,
    });
    response.status(parts.status).type(PROBLEM_CONTENT_TYPE);
    if (parts.headers) response.set(parts.headers);
    // json() goes through response validation (in tests); a 500 is sent around it, since
    // a contract violation found there is itself reported as a 500.
    if (parts.status === 500) response.send(JSON.stringify(body));
    else response.json(body);
  };
}
