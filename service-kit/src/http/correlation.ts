import type { RequestHandler } from 'express';
import type { Logger } from '../logger';
import { correlationIdFrom, runWithContext } from '../request-context';

import { CORRELATION_HEADER } from '@b2b/contracts/client';

export { CORRELATION_HEADER };

/**
 * Takes the caller's X-Correlation-Id (or makes one), echoes it on the response and runs
 * the rest of the request inside its context, then logs one line per finished request.
 */
export function correlationAndAccessLog(logger: Logger): RequestHandler {
  return (request, response, next) => {
    const correlationId = correlationIdFrom(request.get(CORRELATION_HEADER));
    response.setHeader(CORRELATION_HEADER, correlationId);
    const startedAt = process.hrtime.bigint();
    // As received: HEAD is routed as GET further on.
    const { method } = request;
    runWithContext({ correlationId }, () => {
      response.on('finish', () => {
        logger.info(
          {
            method,
            path: request.originalUrl.split('?')[0],
            status: response.statusCode,
            durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
          },
          'request completed',
        );
      });
      next();
    });
  };
}
