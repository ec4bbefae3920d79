import type { Connection } from '@databases/mysql';

interface DriverInternals {
  client?: {
    /** mysql2/promise: the text's `?` are filled from `values`; [results, fields]. */
    query(text: string, values: unknown[]): Promise<[unknown, unknown]>;
    connection?: { stream?: { destroy(): void } };
  };
}

/**
 * The mysql2 driver under a @databases connection. @databases/mysql 7.1 offers no public
 * handle; mysql2's own `destroy()` only half-closes the socket, leaving a statement sent to a
 * frozen server waiting for ever; and @databases splits a multi-statement text into one round
 * trip per statement. Used for one-time session settings, to close a socket at once, and to
 * send a batch of statements (transaction.ts); test/faults/database-freeze.test.ts,
 * service-kit/test/database-timeouts.test.ts and service-kit/test/transaction.test.ts fail if
 * this stops working.
 */
export function driverOf(connection: Connection): DriverInternals | undefined {
  return (connection as unknown as { _driver?: DriverInternals })._driver;
}
