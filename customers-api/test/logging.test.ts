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

describe('structured logs', () => {
  const captured = capturedLines();
  const password = `pw-${randomUUID()}`;
  let api: RunningCustomersApi;

  beforeAll(async () => {
    api = await startCustomersApi({
      logger: createLogger({ service: 'customers-api', level: 'info', destination: captured.destination }),
    });
    await api.db.query(
      sql`INSERT INTO operators (username, password_hash) VALUES ('logger', ${await hashPassword(password)})`,
    );
  });

  afterAll(async () => {
    await api?.stop();
  });

  it('when requests carry a correlation id, then every line they log is JSON carrying it, and no secret is logged', async () => {
    const login = await api.client.post('/auth/token', {
      body: { username: 'logger', password },
      headers: { 'X-Correlation-Id': 'log-test-login' },
    });
    const failing = await api.client.get('/customers/9000000000', {
      token: login.body.access_token,
      headers: { 'X-Correlation-Id': 'log-test-missing' },
    });
    expect([login.status, failing.status]).toEqual([200, 404]);

    const entries = captured.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.length).toBeGreaterThanOrEqual(2);
    expect(new Set(entries.map((entry) => entry.correlationId))).toEqual(
      new Set(['log-test-login', 'log-test-missing']),
    );
    expect(entries.every((entry) => entry.service === 'customers-api' && entry.level && entry.time)).toBe(
      true,
    );
    const everything = captured.lines.join('\n');
    expect(everything).not.toContain(password);
    expect(everything).not.toContain(login.body.access_token);
  });
});
