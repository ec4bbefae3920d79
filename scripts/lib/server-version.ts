// The database servers this project supports, judged by what `SELECT VERSION()` answers.
// Kept apart from the probes (database-diagnosis.ts) so the rule is a pure function.

export interface ServerVersion {
  product: 'MariaDB' | 'MySQL';
  major: number;
  minor: number;
  /** undefined when the version string gives no number for it (e.g. `10.5.x-MariaDB`). */
  patch: number | undefined;
}

/**
 * The oldest release of each product the schema and queries need (SKIP LOCKED, CHECK
 * constraints, utf8mb4_bin usernames, the migrations as written): MySQL 8.0, MariaDB 10.11.
 */
export const MINIMUM_SERVER_VERSIONS: Record<ServerVersion['product'], { major: number; minor: number }> = {
  MariaDB: { major: 10, minor: 11 },
  MySQL: { major: 8, minor: 0 },
};

/**
 * Reads `SELECT VERSION()` (`10.11.6-MariaDB-0+deb12u1`, `8.0.36`, `8.0.36-28` (Percona),
 * `5.5.5-10.11.6-MariaDB` as old clients see MariaDB's handshake). Anything that does not name
 * MariaDB is taken as MySQL. Returns undefined when the string does not start with a version.
 */
export function parseServerVersion(text: string): ServerVersion | undefined {
  const isMariaDb = /mariadb/i.test(text);
  // MariaDB 10+ prefixed its handshake version with 5.5.5- for clients that expected MySQL 5.
  const unprefixed = isMariaDb ? text.replace(/^5\.5\.5-/, '') : text;
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(unprefixed.trim());
  if (!match) return undefined;
  return {
    product: isMariaDb ? 'MariaDB' : 'MySQL',
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: match[3] === undefined ? undefined : Number(match[3]),
  };
}

/** Whether this project supports the server: MariaDB 10.11+ or MySQL 8.0+. */
export function isSupportedServerVersion(version: ServerVersion): boolean {
  const minimum = MINIMUM_SERVER_VERSIONS[version.product];
  return version.major > minimum.major || (version.major === minimum.major && version.minor >= minimum.minor);
}

/** `MariaDB 10.11+ or MySQL 8.0+`, for messages. */
export const SUPPORTED_SERVERS = (['MariaDB', 'MySQL'] as const)
  .map(
    (product) =>
      `${product} ${MINIMUM_SERVER_VERSIONS[product].major}.${MINIMUM_SERVER_VERSIONS[product].minor}+`,
  )
  .join(' or ');
