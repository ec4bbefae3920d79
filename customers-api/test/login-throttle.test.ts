import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from '@b2b/service-kit';
import { createTestDatabase, type TestDatabase } from '@b2b/service-kit/testing';
import { startCustomersApi, type RunningCustomersApi } from './helpers';
import { createOperator, logIn, SMALL_THROTTLE_POLICY, type LogInResponse } from './log-in';

// SMALL_THROTTLE_POLICY: 3 consecutive failures per username and address lock the pair out
// for 60 s (doubling, at most 240 s); 8 failures per address and 6 per username per hour.
const { consecutiveFailures, failuresPerAddress, failuresPerUsername } = SMALL_THROTTLE_POLICY;
const PASSWORD = 'the-right-password';

let database: TestDatabase;
/** Two instances of the API on one database, as two replicas behind a load balancer. */
let replicaA: RunningCustomersApi;
let replicaB: RunningCustomersApi;
/** An instance behind one trusted reverse proxy (TRUST_PROXY_HOPS=1). */
let behindProxy: RunningCustomersApi;
/** An instance that checks at most 2 attempts at once. */
let narrow: RunningCustomersApi;
/** An instance as busy as it gets: it checks no attempt, except from recognised pairs. */
let saturated: RunningCustomersApi;

beforeAll(async () => {
  database = await createTestDatabase();
  const options = { db: database.db, loginThrottlePolicy: SMALL_THROTTLE_POLICY };
  const withAttemptsInFlight = (maxAttemptsInFlight: number) => ({
    ...options,
    loginThrottlePolicy: { ...SMALL_THROTTLE_POLICY, maxAttemptsInFlight },
  });
  [replicaA, replicaB, behindProxy, narrow, saturated] = await Promise.all([
    startCustomersApi(options),
    startCustomersApi(options),
    startCustomersApi({ ...options, trustProxyHops: 1 }),
    startCustomersApi(withAttemptsInFlight(2)),
    startCustomersApi(withAttemptsInFlight(0)),
  ]);
});

afterAll(async () => {
  await Promise.all([replicaA, replicaB, behindProxy, narrow, saturated].map((api) => api?.stop()));
  await database?.drop();
});

afterEach(() => {
  vi.useRealTimers();
});

let lastOctet = 1;
/** A loopback address no other test uses: a client of its own. */
const newClientAddress = () => `127.0.0.${(lastOctet += 1)}`;

/** An operator no other test uses, with the right password PASSWORD. */
async function newOperator(): Promise<string> {
  const username = `op-${randomUUID().slice(0, 8)}`;
  await createOperator(replicaA, username, PASSWORD);
  return username;
}

const wrong = (username: string) => ({ username, password: 'wrong-password' });
const right = (username: string) => ({ username, password: PASSWORD });

async function failTimes(times: number, username: string, from: string, api = replicaA) {
  for (let attempt = 1; attempt <= times; attempt += 1) {
    const response = await logIn(api.baseUrl, wrong(username), { from });
    expect(response.status, `failure ${attempt}`).toBe(401);
  }
}

function expectTooManyAttempts(response: LogInResponse, retryAfterSeconds?: number) {
  expect(response.status).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    status: 429,
    code: 'TOO_MANY_LOGIN_ATTEMPTS',
    title: 'Too Many Requests',
  });
  const retryAfter = Number(response.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${retryAfter}`).toBe(true);
  if (retryAfterSeconds !== undefined) expect(retryAfter).toBe(retryAfterSeconds);
  expect(response.body.detail).toContain(`Try again in ${retryAfter} second`);
}

describe('POST /auth/token throttling per username and client address', () => {
  it('when a username fails 3 times in a row from one address, then the next attempt is 429 with Retry-After — even with the right password', async () => {
    const username = await newOperator();
    const client = newClientAddress();

    await failTimes(consecutiveFailures, username, client);

    expectTooManyAttempts(await logIn(replicaA.baseUrl, wrong(username), { from: client }), 60);
    expectTooManyAttempts(await logIn(replicaA.baseUrl, right(username), { from: client }));
  });

  it('when a pair is locked out, then the same username still logs in from another address', async () => {
    const username = await newOperator();
    const attacker = newClientAddress();
    await failTimes(consecutiveFailures, username, attacker);
    expectTooManyAttempts(await logIn(replicaA.baseUrl, wrong(username), { from: attacker }));

    const response = await logIn(replicaA.baseUrl, right(username), { from: newClientAddress() });

    expect(response.status).toBe(200);
  });

  it('when the right password follows failures, then the count starts again from zero', async () => {
    const username = await newOperator();
    const client = newClientAddress();
    await failTimes(consecutiveFailures - 1, username, client);

    expect((await logIn(replicaA.baseUrl, right(username), { from: client })).status).toBe(200);

    await failTimes(consecutiveFailures, username, client);
    expectTooManyAttempts(await logIn(replicaA.baseUrl, wrong(username), { from: client }));
  });

  it('when a lock-out is over and the pair fails again, then the next lock-out is twice as long, until the maximum', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const username = await newOperator();
    const client = newClientAddress();

    const lockouts: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      await failTimes(consecutiveFailures, username, client);
      const refused = await logIn(replicaA.baseUrl, wrong(username), { from: client });
      expectTooManyAttempts(refused);
      const seconds = Number(refused.headers['retry-after']);
      lockouts.push(seconds);
      // Still locked one second before the end.
      vi.setSystemTime(Date.now() + (seconds - 1) * 1000);
      expectTooManyAttempts(await logIn(replicaA.baseUrl, right(username), { from: client }), 1);
      // Past the end, and past the hourly caps on the username and the address, which the
      // rounds together would exceed.
      vi.setSystemTime(Date.now() + 3600 * 1000);
    }

    expect(lockouts).toEqual([60, 120, 240, 240]);
    expect((await logIn(replicaA.baseUrl, right(username), { from: client })).status).toBe(200);
  });

  it('when attempts from one address arrive while its last one is still being checked, then they are refused with Retry-After 1 and not counted', async () => {
    // A slow hash (N = 2^16, a few tenths of a second) keeps the first check running while the others arrive,
    // even when a loaded machine spreads their arrivals.
    const username = `slow-${randomUUID().slice(0, 8)}`;
    await createOperator(replicaA, username, PASSWORD, { N: 2 ** 16, r: 8, p: 1 });
    const client = newClientAddress();

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => logIn(replicaA.baseUrl, wrong(username), { from: client })),
    );

    const checked = responses.filter((response) => response.status === 401);
    const refused = responses.filter((response) => response.status !== 401);
    expect(checked).toHaveLength(1);
    for (const response of refused) expectTooManyAttempts(response, 1);
    // Only the checked one counted: two more failures are allowed before the lock-out.
    await failTimes(consecutiveFailures - 1, username, client);
    expectTooManyAttempts(await logIn(replicaA.baseUrl, right(username), { from: client }));
  });
});

describe('POST /auth/token throttling under parallel attempts', () => {
  it('when more attempts arrive at once than the instance checks at once, then the excess is refused with Retry-After 1', async () => {
    // Slow hashes (N = 2^16) keep the first checks running while the others arrive, even on a loaded machine.
    const username = `slow-${randomUUID().slice(0, 8)}`;
    await createOperator(narrow, username, PASSWORD, { N: 2 ** 16, r: 8, p: 1 });

    const responses = await Promise.all(
      Array.from({ length: 5 }, () => logIn(narrow.baseUrl, wrong(username), { from: newClientAddress() })),
    );

    expect(responses.filter((response) => response.status === 401)).toHaveLength(2);
    for (const response of responses.filter((response) => response.status !== 401)) {
      expectTooManyAttempts(response, 1);
    }
  });

  it('when wrong log-ins of one username arrive at once from 12 addresses, then exactly 6 (its cap) are checked and the rest are 429', async () => {
    const username = await newOperator();

    const responses = await Promise.all(
      Array.from({ length: 12 }, () =>
        logIn(replicaA.baseUrl, wrong(username), { from: newClientAddress() }),
      ),
    );

    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([
      ...Array(failuresPerUsername).fill(401),
      ...Array(12 - failuresPerUsername).fill(429),
    ]);
  });
  it('when every slot is busy, then an operator still logs in from an address where they logged in before (on any replica), and nobody else does', async () => {
    const username = await newOperator();
    const usualDesk = newClientAddress();
    expect((await logIn(replicaA.baseUrl, right(username), { from: usualDesk })).status).toBe(200);

    const fromUsualDesk = await logIn(saturated.baseUrl, right(username), { from: usualDesk });
    const fromElsewhere = await logIn(saturated.baseUrl, right(username), { from: newClientAddress() });
    const otherOperator = await logIn(saturated.baseUrl, right(await newOperator()), { from: usualDesk });

    expect(fromUsualDesk.status).toBe(200);
    expectTooManyAttempts(fromElsewhere, 1);
    expectTooManyAttempts(otherOperator, 1);
  });
});

describe('POST /auth/token throttling per client address and per username', () => {
  it('when one address fails 8 times over many usernames, then it gets 429 for any username, and other addresses do not', async () => {
    const sprayer = newClientAddress();
    for (let index = 0; index < failuresPerAddress; index += 1) {
      const response = await logIn(replicaA.baseUrl, wrong(`sprayed-${randomUUID()}`), { from: sprayer });
      expect(response.status).toBe(401);
    }
    const username = await newOperator();

    const refused = await logIn(replicaA.baseUrl, right(username), { from: sprayer });
    const elsewhere = await logIn(replicaA.baseUrl, right(username), { from: newClientAddress() });

    expectTooManyAttempts(refused);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(elsewhere.status).toBe(200);
  });

  it('when one username fails 6 times from many addresses, then it is refused from every address until the hour is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const username = await newOperator();
    for (let index = 0; index < failuresPerUsername; index += 1) {
      await failTimes(1, username, newClientAddress());
    }

    const refused = await logIn(replicaA.baseUrl, right(username), { from: newClientAddress() });
    expectTooManyAttempts(refused, 3600);

    vi.setSystemTime(Date.now() + 3600 * 1000);
    expect((await logIn(replicaA.baseUrl, right(username), { from: newClientAddress() })).status).toBe(200);
  });

  it('when an attempt is refused by the cap on its username, then it does not count against its own address', async () => {
    const username = await newOperator();
    for (let index = 0; index < failuresPerUsername; index += 1) {
      await failTimes(1, username, newClientAddress());
    }
    const operatorsOwnAddress = newClientAddress();

    for (let attempt = 0; attempt < consecutiveFailures + 2; attempt += 1) {
      expectTooManyAttempts(await logIn(replicaA.baseUrl, right(username), { from: operatorsOwnAddress }));
    }

    const [pair] = await database.db.query(
      sql`SELECT COUNT(*) AS n FROM login_throttle WHERE \`key\` LIKE 'login-fails:user+ip:%' AND points > 0
          AND \`key\` LIKE ${`%:${operatorsOwnAddress}`}`,
    );
    expect(Number(pair.n)).toBe(0);
  });
});

describe('POST /auth/token client address', () => {
  it('when no proxy is trusted, then X-Forwarded-For does not change the address a client is counted under', async () => {
    const username = await newOperator();
    const client = newClientAddress();

    for (let attempt = 1; attempt <= consecutiveFailures; attempt += 1) {
      const spoofed = { 'X-Forwarded-For': `203.0.113.${attempt}` };
      expect(
        (await logIn(replicaA.baseUrl, wrong(username), { from: client, headers: spoofed })).status,
      ).toBe(401);
    }

    const response = await logIn(replicaA.baseUrl, right(username), {
      from: client,
      headers: { 'X-Forwarded-For': '203.0.113.99' },
    });
    expectTooManyAttempts(response);
  });

  it('when one proxy hop is trusted, then the client is the address that proxy put in X-Forwarded-For', async () => {
    const username = await newOperator();
    const proxy = newClientAddress();
    // A client's own X-Forwarded-For entries come first; the proxy appends the peer it saw.
    const viaProxy = (client: string) => ({
      from: proxy,
      headers: { 'X-Forwarded-For': `10.9.9.9, ${client}` },
    });

    for (let attempt = 0; attempt < consecutiveFailures; attempt += 1) {
      expect((await logIn(behindProxy.baseUrl, wrong(username), viaProxy('198.51.100.7'))).status).toBe(401);
    }

    expectTooManyAttempts(await logIn(behindProxy.baseUrl, right(username), viaProxy('198.51.100.7')));
    expect((await logIn(behindProxy.baseUrl, right(username), viaProxy('198.51.100.8'))).status).toBe(200);
  });
});

describe('POST /auth/token throttling across replicas', () => {
  it('when failures are spread over two instances sharing one database, then the limit holds on both', async () => {
    const username = await newOperator();
    const client = newClientAddress();

    await failTimes(2, username, client, replicaA);
    await failTimes(1, username, client, replicaB);

    expectTooManyAttempts(await logIn(replicaA.baseUrl, right(username), { from: client }));
    expectTooManyAttempts(await logIn(replicaB.baseUrl, right(username), { from: client }));
  });

  it('when a lock-out is recorded in the database by another instance, then this one refuses too', async () => {
    const username = await newOperator();
    const client = newClientAddress();
    await failTimes(consecutiveFailures, username, client, replicaB);
    expectTooManyAttempts(await logIn(replicaB.baseUrl, wrong(username), { from: client }), 60);

    expectTooManyAttempts(await logIn(replicaA.baseUrl, right(username), { from: client }));
  });
});
