import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createLogger, listen, type Database, type Logger } from '@b2b/service-kit';
import {
  createTestDatabase,
  httpClient,
  operatorToken,
  TEST_AUTH,
  TEST_CURSOR_SECRET,
  type HttpClient,
} from '@b2b/service-kit/testing';
import { createCustomersApp, type CustomersAppOptions } from '../src/app';
import type { ScryptCost } from '../src/auth/passwords';

export interface RunningCustomersApi {
  baseUrl: string;
  client: HttpClient;
  db: Database;
  /** A valid operator JWT for the test secrets. */
  token: string;
  stop(): Promise<void>;
}

/**
 * Starts the Customers API in-process on an ephemeral port over a fresh test database,
 * with response validation on so every response is checked against the contract.
 */
export async function startCustomersApi(
  options: {
    db?: Database;
    tokenTtlSeconds?: number;
    logger?: Logger;
    cursorSecret?: string;
  } & Pick<
    CustomersAppOptions,
    'loginThrottlePolicy' | 'passwordCost' | 'trustProxyHops' | 'corsAllowedOrigins'
  > = {},
): Promise<RunningCustomersApi> {
  const testDatabase = options.db ? undefined : await createTestDatabase();
  const db = options.db ?? testDatabase!.db;
  const app = createCustomersApp({
    db,
    auth: options.tokenTtlSeconds ? { ...TEST_AUTH, tokenTtlSeconds: options.tokenTtlSeconds } : TEST_AUTH,
    logger: options.logger ?? createLogger({ service: 'customers-api-test', level: 'silent' }),
    validateResponses: true,
    loginThrottlePolicy: options.loginThrottlePolicy,
    passwordCost: options.passwordCost ?? CHEAP_SCRYPT_COST,
    trustProxyHops: options.trustProxyHops,
    cursorSecret: options.cursorSecret ?? TEST_CURSOR_SECRET,
    corsAllowedOrigins: options.corsAllowedOrigins,
  });
  const server = await listen(app);
  return {
    baseUrl: server.url,
    client: httpClient(server.url),
    db,
    token: await operatorToken(),
    async stop() {
      await server.close();
      await testDatabase?.drop();
    },
  };
}

/**
 * Starts the API before the tests of the calling file and stops it after them. The object
 * returned is filled in by beforeAll, so read its fields inside tests and hooks only.
 */
export function useCustomersApi(options: Parameters<typeof startCustomersApi>[0] = {}): RunningCustomersApi {
  const api = {} as RunningCustomersApi;
  beforeAll(async () => {
    Object.assign(api, await startCustomersApi(options));
  });
  afterAll(() => api.stop());
  return api;
}

/**
 * The scrypt cost of passwords in tests: the real one (N = 2^17) takes up to a second per
 * hash on a small machine, and log-in tests hash many. passwords.test.ts covers the real one.
 */
export const CHEAP_SCRYPT_COST: ScryptCost = { N: 1024, r: 8, p: 1 };

/** Far above any id a test database hands out; never a literal auto-increment id. */
export const UNKNOWN_CUSTOMER_ID = 9_000_000_000;

/** A valid customer body with an email no other test uses. */
export function buildCustomer(overrides: Record<string, unknown> = {}) {
  const unique = randomUUID().slice(0, 8);
  return {
    name: `Customer ${unique}`,
    email: `buyer-${unique}@example.test`,
    phone: '+1 (555) 010-2030',
    ...overrides,
  };
}

/** Creates a customer through the API and returns it. */
export async function createCustomerViaApi(
  api: RunningCustomersApi,
  overrides: Record<string, unknown> = {},
) {
  const response = await api.client.post('/customers', { token: api.token, body: buildCustomer(overrides) });
  if (response.status !== 201)
    throw new Error(`creating a customer answered ${response.status}: ${response.text}`);
  return response.body;
}
