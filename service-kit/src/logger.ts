import { pino, type DestinationStream, type Logger } from 'pino';
import { currentCorrelationId } from './request-context';

export type { Logger };

/**
 * Structured JSON logs. Every line carries the correlation id of the request it belongs to;
 * credentials and passwords are redacted wherever they appear.
 */
export function createLogger(options: {
  service: string;
  level?: string;
  /**
   * Where lines go (tests capture them). Standard output by default, written
   * asynchronously: a line never waits for its write, lines queued meanwhile go out in one
   * write, and pino flushes what is left when the process exits.
   */
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      name: options.service,
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'message',
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const correlationId = currentCorrelationId();
        return correlationId ? { correlationId } : {};
      },
      redact: {
        paths: [
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          '*.headers.authorization',
          'token',
          '*.token',
          'access_token',
          '*.access_token',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
