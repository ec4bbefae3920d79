import type { RequestHandler, Response } from 'express';
import { CORRELATION_HEADER } from '@b2b/contracts/client';
import type { Logger } from '../logger';
import { correlationIdFrom } from '../request-context';

export { CORRELATION_HEADER };

/** The correlation id of the request a response answers (set by correlationAndAccessLog). */
export function correlationIdOf(response: Response): string {
  return response.locals.correlationId as string;
}

/**
 * Takes the caller's X-Correlation-Id (or makes one), echoes it on the response and keeps
 * it with the response for the handlers, then logs one line per finished request. The id
 * is passed explicitly rather than through AsyncLocalStorage, whose promise hooks cost
 * ~100 µs of CPU per request on Node 20.
 */
export function correlationAndAccessLog(logger: Logger): RequestHandler {
  return (request, response, next) => {
    const correlationId = correlationIdFrom(request.get(CORRELATION_HEADER));
    response.setHeader(CORRELATION_HEADER, correlationId);
    response.locals.correlationId = correlationId;
    const startedAt = process.hrtime.bigint();
    // As received: HEAD is routed as GET further on.
    const { method } = request;
    response.on('finish', () => {
      logger.info(
        {
          correlationId,
          method,
          path: request.originalUrl.split('?')[0],
          status: response.statusCode,
          durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6,
        },
        'request completed',
      );
    });
    next();
  };
}
