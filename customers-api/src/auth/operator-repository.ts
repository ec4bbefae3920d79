import { sql, type Queryable } from '@b2b/service-kit';

export interface OperatorCredentials {
  username: string;
  passwordHash: string;
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
    sql`SELECT username, password_hash FROM operators WHERE username = ${username}`,
  )) as Array<{ username: string; password_hash: string }>;
  if (!row || row.username !== username) return undefined;
  return { username: row.username, passwordHash: row.password_hash };
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
