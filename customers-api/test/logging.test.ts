import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, sql } from '@b2b/service-kit';
import { hashPassword } from '../src/auth/passwords';
import { startCustomersApi, type RunningCustomersApi } from './helpers';

/** Every JSON line the app logs, kept in memory. */
function capturedLines() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}

const REDACTED = '[redacted]';

describe('structured logs', () => {
  const captured = capturedLines();
  // Built as server.ts builds it; only the destination differs, so the test reads what it writes.
  const logger = createLogger({ service: 'customers-api', level: 'info', destination: captured.destination });
  const password = `pw-${randomUUID()}`;
  let api: RunningCustomersApi;

  beforeAll(async () => {
    api = await startCustomersApi({ logger });
    await api.db.query(
      sql`INSERT INTO operators (username, password_hash) VALUES ('logger', ${await hashPassword(password)})`,
    );
  });

  afterAll(async () => {
    await api?.stop();
  });

  /** The lines logged while `act` ran, parsed. */
  async function linesLoggedBy(act: () => Promise<void>) {
    const from = captured.lines.length;
    await act();
    const lines = captured.lines.slice(from);
    return { text: lines.join('\n'), entries: lines.map((line) => JSON.parse(line) as Record<string, any>) };
  }

  it('when requests carry a correlation id, then every line they log is JSON carrying it, and no secret is logged', async () => {
    let accessToken = '';
    const logged = await linesLoggedBy(async () => {
      const login = await api.client.post('/auth/token', {
        body: { username: 'logger', password },
        headers: { 'X-Correlation-Id': 'log-test-login' },
      });
      accessToken = login.body.access_token;
      const failing = await api.client.get('/customers/9000000000', {
        token: accessToken,
        headers: { 'X-Correlation-Id': 'log-test-missing' },
      });
      expect([login.status, failing.status]).toEqual([200, 404]);
    });

    expect(logged.entries.length).toBeGreaterThanOrEqual(2);
    expect(new Set(logged.entries.map((entry) => entry.correlationId))).toEqual(
      new Set(['log-test-login', 'log-test-missing']),
    );
    expect(
      logged.entries.every((entry) => entry.service === 'customers-api' && entry.level && entry.time),
    ).toBe(true);
    expect(logged.text).not.toContain(password);
    expect(logged.text).not.toContain(accessToken);
  });

  it('when a line carries a password, a bearer token or an access token, then the line is logged with each replaced by [redacted]', async () => {
    const login = await api.client.post('/auth/token', { body: { username: 'logger', password } });
    expect(login.status).toBe(200);
    const accessToken: string = login.body.access_token;

    // What a request or error log would hold: the login body as sent, the request headers
    // as Node names them (lower case), the token response, and the bare values.
    const logged = await linesLoggedBy(async () => {
      logger.warn(
        {
          req: {
            method: 'POST',
            url: '/auth/token',
            headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
          },
          body: { username: 'logger', password },
          response: login.body,
          session: { token: accessToken },
          password,
          token: accessToken,
          authorization: `Bearer ${accessToken}`,
          access_token: accessToken,
        },
        'login with credentials',
      );
    });

    expect(logged.entries).toHaveLength(1);
    expect(logged.entries[0]).toMatchObject({
      service: 'customers-api',
      message: 'login with credentials',
      req: {
        method: 'POST',
        url: '/auth/token',
        headers: { authorization: REDACTED, 'content-type': 'application/json' },
      },
      body: { username: 'logger', password: REDACTED },
      response: { access_token: REDACTED, token_type: 'Bearer' },
      session: { token: REDACTED },
      password: REDACTED,
      token: REDACTED,
      authorization: REDACTED,
      access_token: REDACTED,
    });
    expect(logged.text).not.toContain(password);
    expect(logged.text).not.toContain(accessToken);
  });
});
