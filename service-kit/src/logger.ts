import { pino, type DestinationStream, type Logger } from 'pino';
import { currentCorrelationId } from './request-context';

export type { Logger };

/** Lines wait in memory until this many bytes are queued (~10 request lines)… */
const LOG_BUFFER_BYTES = 4096;
/** …or at most this long, in ms. */
const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * Standard output, written asynchronously in chunks of LOG_BUFFER_BYTES or every
 * LOG_FLUSH_INTERVAL_MS (pino's recipe for asynchronous logging): one write per line cost a
 * system call, and a wake-up of a libuv thread, per request. What is queued is written
 * synchronously when the process exits; a SIGKILL loses at most those bytes.
 */
function bufferedStandardOutput(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES });
  setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  return destination;
}

/**
 * Structured JSON logs. Every line carries the correlation id of the request it belongs to;
 * credentials and passwords are redacted wherever they appear.
 */
export function createLogger(options: {
  service: string;
  level?: string;
  /**
   * Where lines go (tests capture them). Standard output by default, buffered
   * (bufferedStandardOutput): a line never waits for its write and reaches the output
   * within LOG_FLUSH_INTERVAL_MS.
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
    options.destination ?? bufferedStandardOutput(),
  );
}
