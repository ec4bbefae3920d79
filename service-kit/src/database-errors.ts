// How MySQL/MariaDB errors are told apart, kept free of the driver so that code which only
// classifies errors (toProblem, in the Lambda too) does not bundle it.

interface MysqlError {
  code?: string;
  errno?: number;
}

function errorInfo(error: unknown): MysqlError {
  return typeof error === 'object' && error !== null ? (error as MysqlError) : {};
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'CONNECTION_POOL:QUEUE_TIMEOUT',
  'CONNECTION_POOL:OPEN_TIMEOUT',
]);

/** True when the error means the database cannot be reached (→ 503), not that a query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code } = errorInfo(error);
  return code !== undefined && UNAVAILABLE_CODES.has(code);
}

export function isDuplicateKey(error: unknown): boolean {
  return errorInfo(error).errno === 1062;
}

/** CHECK constraint violation. MariaDB reports errno 4025, MySQL 8 errno 3819. */
export function isCheckViolation(error: unknown): boolean {
  const { errno } = errorInfo(error);
  return errno === 4025 || errno === 3819;
}

/** Deadlock (1213) or lock wait timeout (1205): the transaction was rolled back and may be retried. */
export function isRetryableTransactionError(error: unknown): boolean {
  const { errno } = errorInfo(error);
  return errno === 1213 || errno === 1205;
}
