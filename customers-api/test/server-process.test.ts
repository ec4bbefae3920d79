import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from '@b2b/service-kit';
import {
  createTestDatabase,
  freePort,
  httpClient,
  startChildService,
  type ChildService,
  type TestDatabase,
} from '@b2b/service-kit/testing';
import { hashPassword } from '../src/auth/passwords';

// The built bundle, started the way `npm start` starts it.
const WORKSPACE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'process-test-password';

let database: TestDatabase;
let service: ChildService;
let baseUrl: string;

beforeAll(async () => {
  execFileSync('npm', ['run', 'build'], { cwd: WORKSPACE, stdio: 'ignore' });
  database = await createTestDatabase();
  await database.db.query(
    sql`INSERT INTO operators (username, password_hash) VALUES ('proc', ${await hashPassword(PASSWORD)})`,
  );
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  service = await startChildService('node', ['dist/server.js'], {
    cwd: WORKSPACE,
    readyUrl: `${baseUrl}/health`,
    env: { NODE_ENV: 'test', DATABASE_URL: database.url, PORT: String(port), LOG_LEVEL: 'info' },
  });
});

afterAll(async () => {
  await service?.stop();
  await database?.drop();
});

describe('the built server', () => {
  it('when an operator logs in, then it answers with a token and never logs the password', async () => {
    const response = await httpClient(baseUrl).post('/auth/token', {
      body: { username: 'proc', password: PASSWORD },
    });

    expect(response.status).toBe(200);
    // The access log line is written once the response has gone out.
    await vi.waitFor(() => expect(service.output()).toContain('"path":"/auth/token"'));
    expect(service.output()).not.toContain(PASSWORD);
  });

  it('when it receives SIGTERM, then it stops accepting requests, closes the pool and exits 0', async () => {
    await service.stop();

    expect(service.process.exitCode).toBe(0);
    expect(service.output()).toContain('"message":"stopped"');
    await expect(fetch(`${baseUrl}/health`)).rejects.toThrow();
  });

  it('when NODE_ENV=production and the secrets are missing, then it prints every problem and exits 1', () => {
    const result = spawnSync('node', ['dist/server.js'], {
      cwd: WORKSPACE,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATABASE_URL: database.url },
      encoding: 'utf8',
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('JWT_SECRET is required');
    expect(result.stderr).toContain('SERVICE_TOKEN is required');
  });
});
