import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import connect, { sql } from '@databases/mysql';
import { createTestDatabase, freePort, TEST_SERVER_URL, type TestDatabase } from '@b2b/service-kit/testing';
import { diagnoseDatabase } from '../../scripts/lib/database-diagnosis';
import { createTemporaryUser, missingDatabaseName, type TemporaryUser } from './support';

/**
 * What npm start, migrate, seed and operators say when DATABASE_URL cannot be used: each cause
 * its own kind and next step, each found within a bounded time. Against the real test server,
 * with an account of the test's own that has no privilege.
 */
const STEP_TIMEOUT_MS = 1_500;
const asStart = { mayCreate: true, needsSchema: false, timeoutMs: STEP_TIMEOUT_MS };
const asOperators = { mayCreate: false, needsSchema: true, timeoutMs: STEP_TIMEOUT_MS };

let account: TemporaryUser;
let migrated: TestDatabase;
let empty: TestDatabase;
const servers: Server[] = [];

beforeAll(async () => {
  account = await createTemporaryUser();
  migrated = await createTestDatabase({ poolSize: 1 });
  empty = await createTestDatabase({ poolSize: 1, empty: true });
});

afterAll(async () => {
  await account?.drop();
  await migrated?.drop();
  await empty?.drop();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP server on a free port that greets each connection with `greeting` (or stays silent). */
async function fakeServer(greeting: string | undefined): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    if (greeting !== undefined) socket.write(greeting);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const serverUrl = (port: number, name = 'b2b_orders') => `mysql://root@127.0.0.1:${port}/${name}`;

describe('diagnosing DATABASE_URL', () => {
  it('when the database is migrated and the user may use it, then there is no problem', async () => {
    expect(await diagnoseDatabase(migrated.url, asOperators)).toBeUndefined();
  });

  it('when nothing listens on the port, then it says so and how to get a server', async () => {
    const problem = await diagnoseDatabase(serverUrl(await freePort()), asStart);

    expect(problem?.kind).toBe('nothing-listening');
    expect(problem?.summary).toMatch(/^Nothing listens at 127\.0\.0\.1:\d+/);
    expect(problem?.nextSteps.join('\n')).toContain('docker compose up -d mysql');
  });

  it('when the password is wrong, then access is denied naming the user, with the statements that grant it', async () => {
    const problem = await diagnoseDatabase(account.url('b2b_orders', 'wrong-password'), asStart);

    expect(problem?.kind).toBe('access-denied');
    expect(problem?.summary).toContain(`Access denied for user ${account.user}`);
    expect(problem?.summary).not.toContain('wrong-password');
    expect(problem?.nextSteps.join('\n')).toContain(
      `GRANT ALL PRIVILEGES ON \`b2b_orders\`.* TO '${account.user}'@`,
    );
  });

  it('when the database does not exist and the user may not create it, then it names both and the grant', async () => {
    const name = missingDatabaseName();

    const problem = await diagnoseDatabase(account.url(name), asStart);

    expect(problem?.kind).toBe('database-not-creatable');
    expect(problem?.summary).toContain(`Database ${name}`);
    expect(problem?.summary).toContain(`${account.user} may not create it`);
    expect(problem?.nextSteps.join('\n')).toContain(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
  });

  it('when the database does not exist and the user may create it, then npm start creates it', async () => {
    const name = missingDatabaseName();
    const server = connect({ connectionString: TEST_SERVER_URL, poolSize: 1, onError: () => undefined });
    try {
      expect(
        await diagnoseDatabase(serverUrl(Number(new URL(TEST_SERVER_URL).port || 3306), name), asStart),
      ).toBeUndefined();
      const rows = await server.query(
        sql`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${name}`,
      );
      expect(rows).toHaveLength(1);
    } finally {
      await server.query(sql`DROP DATABASE IF EXISTS ${sql.ident(name)}`);
      await server.dispose();
    }
  });

  it('when the database has no schema yet, then the scripts that need it say npm run migrate', async () => {
    const problem = await diagnoseDatabase(empty.url, asOperators);

    expect(problem?.kind).toBe('not-migrated');
    expect(problem?.nextSteps.join('\n')).toContain('npm run migrate');
  });

  it('when the port answers with another protocol, then it is not a MySQL server, quoting what it sent', async () => {
    const port = await fakeServer('SSH-2.0-OpenSSH_9.2p1\r\n');

    const problem = await diagnoseDatabase(serverUrl(port), asStart);

    expect(problem?.kind).toBe('not-mysql');
    expect(problem?.summary).toContain('SSH-2.0-OpenSSH_9.2p1');
  });

  it('when the port accepts connections but never greets, then it is not a MySQL server, within the bound', async () => {
    const port = await fakeServer(undefined);
    const startedAt = Date.now();

    const problem = await diagnoseDatabase(serverUrl(port), asStart);

    expect(problem?.kind).toBe('not-mysql');
    expect(problem?.summary).toContain('sends no MySQL greeting');
    // The driver's handshake bound, then the probe's: two steps.
    expect(Date.now() - startedAt).toBeLessThan(3 * STEP_TIMEOUT_MS);
  });

  it('when DATABASE_URL asks for TLS the server cannot give as asked, then it is a TLS problem', async () => {
    const url = new URL(migrated.url);
    url.searchParams.set('ssl', JSON.stringify({ rejectUnauthorized: true }));

    const problem = await diagnoseDatabase(url.toString(), asOperators);

    // A server without TLS (HANDSHAKE_NO_SSL_SUPPORT), or with a certificate this machine does
    // not trust (MariaDB 11.4+ makes its own): either way the TLS kind, with its next step.
    expect(problem?.kind).toBe('tls');
    expect(problem?.nextSteps.length).toBeGreaterThan(0);
  });

  it('when the host name does not resolve, then it says which host', async () => {
    const problem = await diagnoseDatabase('mysql://root@no-such-host.invalid:3306/b2b_orders', asStart);

    expect(problem?.kind).toBe('host-unknown');
    expect(problem?.summary).toContain('no-such-host.invalid');
  });

  it('when DATABASE_URL is a URL of another database, then it says a mysql:// URL is needed, not a login failure', async () => {
    const problem = await diagnoseDatabase('postgres://root@127.0.0.1:3306/b2b_orders', asStart);

    expect(problem).toMatchObject({
      kind: 'invalid-url',
      summary: 'DATABASE_URL must be a mysql:// URL (MySQL 8 or MariaDB 10.11+); it starts with postgres://.',
    });
  });
});
