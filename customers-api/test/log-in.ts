import { Agent, request } from 'undici';
import { sql } from '@b2b/service-kit';
import type { LoginThrottlePolicy } from '../src/auth/login-throttle';
import { hashPassword } from '../src/auth/passwords';
import { CHEAP_SCRYPT_COST, type RunningCustomersApi } from './helpers';

/**
 * Log-in helpers. Every address 127.0.0.0/8 is this machine's loopback, so a test can be
 * several real clients (real TCP peers, not X-Forwarded-For) by choosing the local address
 * its connection leaves from.
 */

export interface LogInResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

const agents = new Map<string, Agent>();
const agentFrom = (localAddress: string) => {
  if (!agents.has(localAddress)) agents.set(localAddress, new Agent({ localAddress }));
  return agents.get(localAddress)!;
};

export async function logIn(
  baseUrl: string,
  credentials: { username: string; password: string },
  options: { from?: string; headers?: Record<string, string> } = {},
): Promise<LogInResponse> {
  const response = await request(`${baseUrl}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(credentials),
    ...(options.from && { dispatcher: agentFrom(options.from) }),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

/** Creates an operator directly in the database, with a cheap hash (see CHEAP_SCRYPT_COST). */
export async function createOperator(
  api: RunningCustomersApi,
  username: string,
  password: string,
  cost = CHEAP_SCRYPT_COST,
): Promise<void> {
  await api.db.query(
    sql`INSERT INTO operators (username, password_hash) VALUES (${username}, ${await hashPassword(password, cost)})`,
  );
}

/** Small limits, so a test reaches each of them in a few requests. */
export const SMALL_THROTTLE_POLICY: LoginThrottlePolicy = {
  consecutiveFailures: 3,
  failureMemorySeconds: 24 * 3600,
  firstLockoutSeconds: 60,
  maxLockoutSeconds: 240,
  lockoutMemorySeconds: 24 * 3600,
  failuresPerAddress: 8,
  failuresPerUsername: 6,
  windowSeconds: 3600,
  refusalDelayMs: 0,
  maxAttemptsInFlight: 100,
  recognisedPairSeconds: 30 * 24 * 3600,
};
