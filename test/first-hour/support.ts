import { randomBytes } from 'node:crypto';
import connect, { sql } from '@databases/mysql';
import { TEST_SERVER_URL } from '@b2b/service-kit/testing';

export interface TemporaryUser {
  user: string;
  password: string;
  /** DATABASE_URL for this user on the test server, with `password` and database `name`. */
  url(name: string, password?: string): string;
  drop(): Promise<void>;
}

/**
 * A MariaDB/MySQL account of the test's own on the test server (TEST_DATABASE_URL), with a
 * password and no privilege at all (not even CREATE): what a newcomer's DATABASE_URL may hold.
 * Call `drop()` in afterAll.
 */
export async function createTemporaryUser(): Promise<TemporaryUser> {
  const user = `b2b_test_u_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const server = connect({ connectionString: TEST_SERVER_URL, poolSize: 1, onError: () => undefined });
  await server.query(sql`CREATE USER ${user}@'%' IDENTIFIED BY ${password}`);
  return {
    user,
    password,
    url(name, givenPassword = password) {
      const url = new URL(TEST_SERVER_URL);
      url.username = user;
      url.password = givenPassword;
      url.pathname = `/${name}`;
      return url.toString();
    },
    async drop() {
      await server.query(sql`DROP USER IF EXISTS ${user}@'%'`);
      await server.dispose();
    },
  };
}

/** A database name no server has: for the "unknown database" stories. */
export const missingDatabaseName = () => `b2b_test_missing_${randomBytes(4).toString('hex')}`;
