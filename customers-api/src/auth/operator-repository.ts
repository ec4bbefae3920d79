import { sql, toSafeInteger, type Queryable } from '@b2b/service-kit';

export interface OperatorCredentials {
  id: number;
  username: string;
  passwordHash: string;
  /** A disabled operator keeps its account but may not log in. */
  isDisabled: boolean;
}

/** An operator as `npm run operators -- list` shows it; never its password hash. */
export interface OperatorSummary {
  username: string;
  isDisabled: boolean;
  createdAt: Date;
}

/**
 * The operator with exactly this username, byte for byte. The column's binary collation
 * does the work in the index; it still pads with spaces (`operator ` = `operator`), so the
 * found username is compared once more here.
 */
export async function findOperatorCredentials(
  db: Queryable,
  username: string,
): Promise<OperatorCredentials | undefined> {
  const [row] = (await db.query(
    sql`SELECT id, username, password_hash, disabled_at FROM operators WHERE username = ${username}`,
  )) as Array<{ id: string; username: string; password_hash: string; disabled_at: Date | null }>;
  if (!row || row.username !== username) return undefined;
  return {
    id: toSafeInteger(row.id),
    username: row.username,
    passwordHash: row.password_hash,
    isDisabled: row.disabled_at !== null,
  };
}

/** Inserts an active operator; a taken username fails with the database's duplicate-key error. */
export async function insertOperator(db: Queryable, username: string, passwordHash: string): Promise<void> {
  await db.query(sql`INSERT INTO operators (username, password_hash) VALUES (${username}, ${passwordHash})`);
}

/**
 * Replaces an operator's password hash, unless it changed since `previousHash` was read
 * (a password set meanwhile wins over a rehash of the old one).
 */
export async function replacePasswordHash(
  db: Queryable,
  username: string,
  previousHash: string,
  newHash: string,
): Promise<void> {
  await db.query(
    sql`UPDATE operators SET password_hash = ${newHash}
        WHERE username = ${username} AND password_hash = ${previousHash}`,
  );
}

/** Sets an operator's password hash, whatever it was. */
export async function setPasswordHash(
  db: Queryable,
  operatorId: number,
  passwordHash: string,
): Promise<void> {
  await db.query(sql`UPDATE operators SET password_hash = ${passwordHash} WHERE id = ${operatorId}`);
}

/** Disables (keeping the first time it was disabled) or enables an operator. */
export async function setOperatorDisabled(
  db: Queryable,
  operatorId: number,
  isDisabled: boolean,
): Promise<void> {
  await db.query(
    isDisabled
      ? sql`UPDATE operators SET disabled_at = COALESCE(disabled_at, CURRENT_TIMESTAMP(3)) WHERE id = ${operatorId}`
      : sql`UPDATE operators SET disabled_at = NULL WHERE id = ${operatorId}`,
  );
}

/** Every operator, by username. There are few: an office's staff, not customers. */
export async function listOperatorSummaries(db: Queryable): Promise<OperatorSummary[]> {
  const rows = (await db.query(
    sql`SELECT username, disabled_at, created_at FROM operators ORDER BY username`,
  )) as Array<{ username: string; disabled_at: Date | null; created_at: Date }>;
  return rows.map((row) => ({
    username: row.username,
    isDisabled: row.disabled_at !== null,
    createdAt: row.created_at,
  }));
}
