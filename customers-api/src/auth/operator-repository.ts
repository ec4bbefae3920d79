import { sql, type Queryable } from '@b2b/service-kit';

export interface OperatorCredentials {
  username: string;
  passwordHash: string;
}

export async function findOperatorCredentials(
  db: Queryable,
  username: string,
): Promise<OperatorCredentials | undefined> {
  const [row] = (await db.query(
    sql`SELECT username, password_hash FROM operators WHERE username = ${username}`,
  )) as Array<{ username: string; password_hash: string }>;
  return row && { username: row.username, passwordHash: row.password_hash };
}
