// How MySQL/MariaDB errors are told apart, kept free of the driver so that code which only
// classifies errors (toProblem, in the Lambda too) does not bundle it.

interface MysqlError {
  code?: string;
  errno?: number;
  /** mysql2 marks errors that killed the connection itself as fatal. */
  fatal?: boolean;
}

function errorInfo(error: unknown): MysqlError {
  return typeof error === 'object' && error !== null ? (error as MysqlError) : {};
}

/** The codes of service-kit's DatabaseTimeout (database.ts): no connection, or no answer, in time. */
const DATABASE_TIMEOUT_CODES = new Set(['DATABASE_ACQUIRE_TIMEOUT', 'DATABASE_STATEMENT_TIMEOUT']);

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
  ...DATABASE_TIMEOUT_CODES,
]);

/** The server stopped a statement at its time limit: MariaDB max_statement_time (1969), MySQL max_execution_time (3024). */
const STATEMENT_TIMEOUT_ERRNOS = new Set([1969, 3024]);

/**
 * The server answers but cannot serve data now: a Galera node outside the primary component
 * (lost quorum, or still joining) refuses every table access with 1047 ("WSREP has not yet
 * prepared node for application use"); a read-only server refuses writes with 1290
 * (--read-only), 1836 (read-only mode) or 1792 (read-only transaction).
 */
const NOT_SERVING_ERRNOS = new Set([1047, 1290, 1792, 1836]);

/** True when the server answered but cannot serve data now (see NOT_SERVING_ERRNOS): → 503. */
export function isDatabaseNotServing(error: unknown): boolean {
  const { errno } = errorInfo(error);
  return errno !== undefined && NOT_SERVING_ERRNOS.has(errno);
}

/**
 * True when the error means the database cannot be reached, did not answer in time or cannot
 * serve data now (→ 503), not that a query was wrong.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, errno, fatal } = errorInfo(error);
  return (
    (code !== undefined && UNAVAILABLE_CODES.has(code)) ||
    (errno !== undefined && STATEMENT_TIMEOUT_ERRNOS.has(errno)) ||
    isDatabaseNotServing(error) ||
    fatal === true
  );
}

/** True when a bound of ours or of the server ran out (the database may be up but too slow). */
export function isDatabaseTimeout(error: unknown): boolean {
  const { code, errno } = errorInfo(error);
  return (
    (code !== undefined && DATABASE_TIMEOUT_CODES.has(code)) ||
    (errno !== undefined && STATEMENT_TIMEOUT_ERRNOS.has(errno))
  );
}

/** Errors after which a statement already sent may still be carried out: its answer was lost. */
const OUTCOME_UNKNOWN_CODES = new Set([
  'DATABASE_STATEMENT_TIMEOUT',
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * True when the database may or may not have carried out the statement (the connection was
 * lost or timed out after it was sent), unlike a refused connection, which sent nothing.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  const { code } = errorInfo(error);
  return code !== undefined && OUTCOME_UNKNOWN_CODES.has(code);
}

export function isDuplicateKey(error: unknown): boolean {
  return errorInfo(error).errno === 1062;
}

/** CHECK constraint violation. MariaDB reports errno 4025, MySQL 8 errno 3819. */
export function isCheckViolation(error: unknown): boolean {
  const { errno } = errorInfo(error);
  return errno === 4025 || errno === 3819;
}

/**
 * Deadlock (1213; on Galera also a certification failure or a brute-force abort by another
 * node's write) or lock wait timeout (1205): the transaction was rolled back and may be retried.
 */
export function isRetryableTransactionError(error: unknown): boolean {
  const { errno } = errorInfo(error);
  return errno === 1213 || errno === 1205;
}
