import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '@b2b/service-kit';
import { TooManyLoginAttempts } from '../errors';
import { DatabaseRateLimiter } from './rate-limiter-store';

/**
 * The log-in throttle, after rate-limiter-flexible's "login endpoint protection" recipe:
 * consecutive failures are counted per username AND client address (so an attacker cannot
 * lock an operator out everywhere), with a looser cap per address (password spraying) and
 * per username from all addresses (distributed guessing; bounded to one window, never a
 * lasting lock-out). Documented in contracts/customers.yaml (`POST /auth/token`).
 */
export interface LoginThrottlePolicy {
  /** Consecutive failures of one username from one address that lock the pair out. */
  consecutiveFailures: number;
  /** How long consecutive failures are remembered, from the first one (seconds). */
  failureMemorySeconds: number;
  /** The first lock-out; each further one within `lockoutMemorySeconds` doubles it. */
  firstLockoutSeconds: number;
  maxLockoutSeconds: number;
  lockoutMemorySeconds: number;
  /** Failures from one address, whatever the usernames, per window. */
  failuresPerAddress: number;
  /** Failures of one username, from all addresses together, per window. */
  failuresPerUsername: number;
  windowSeconds: number;
  /**
   * A refused attempt is answered after this long. A client that waits for each answer
   * (as brute-force tools do) then makes at most one refused attempt per connection per
   * this delay, however cheap the refusal; a held answer costs a timer, not CPU.
   */
  refusalDelayMs: number;
  /**
   * Attempts being checked at once in a process, from all addresses together; more are
   * refused (Retry-After 1), except from a recognised pair. With passwords.ts's
   * MAX_CONCURRENT_HASHES running at a time, this bounds how long a log-in can wait for its
   * turn, however many addresses attack.
   */
  maxAttemptsInFlight: number;
  /**
   * A username and address that logged in successfully are recognised this long: their
   * attempts pass maxAttemptsInFlight, so an operator at their usual desk still gets in
   * while a distributed attack keeps every slot busy.
   */
  recognisedPairSeconds: number;
}

const HOUR = 3600;

export const DEFAULT_LOGIN_THROTTLE_POLICY: LoginThrottlePolicy = {
  consecutiveFailures: 5,
  failureMemorySeconds: 24 * HOUR,
  firstLockoutSeconds: 60,
  maxLockoutSeconds: HOUR,
  lockoutMemorySeconds: 24 * HOUR,
  // Each admitted attempt costs one scrypt run (~0.5 s of a core, 128 MiB): an address
  // gets 30 an hour, enough for an office of operators behind one NAT.
  failuresPerAddress: 30,
  // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account.
  failuresPerUsername: 100,
  windowSeconds: HOUR,
  refusalDelayMs: 1000,
  maxAttemptsInFlight: 8,
  recognisedPairSeconds: 30 * 24 * HOUR,
};

/** An admitted log-in attempt, counted as a failure until it `succeeded`. */
export interface LoginAttempt {
  /** The password was right: resets the pair's failures and lock-outs, refunds the caps. */
  succeeded(): Promise<void>;
  /** The check is over, whatever its outcome: the address may start another one. */
  finished(): void;
}

export interface LoginThrottle {
  /**
   * Counts an attempt before the password is checked, so a burst of parallel attempts is
   * counted as it arrives. Throws TooManyLoginAttempts (429, Retry-After) when a limit is
   * exceeded, or when an attempt from the same address is still being checked here: a
   * refused attempt costs no password hashing.
   */
  admit(username: string, clientAddress: string): Promise<LoginAttempt>;
}

/**
 * The username enters keys only as a hash: keys stay ASCII and short whatever the
 * username, and a password typed into the username field is not stored in clear.
 */
const usernameKeyOf = (username: string) => createHash('sha256').update(username, 'utf8').digest('base64url');

/**
 * The address a limit applies to. An IPv4 address as it is (also when the socket reports it
 * as IPv4-mapped IPv6); an IPv6 address by its /64, since any host is given a whole /64 and
 * could otherwise take a fresh address for every attempt.
 */
export function addressKeyOf(clientAddress: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clientAddress);
  if (mapped) return mapped[1]!;
  if (!isIPv6(clientAddress)) return clientAddress;
  const [head = '', tail = ''] = clientAddress.split('%')[0]!.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = clientAddress.includes('::') && tail ? tail.split(':') : [];
  const missing = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = clientAddress.includes('::') ? [...headGroups, ...missing, ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const secondsUntil = (msBeforeNext: number) => Math.max(1, Math.ceil(msBeforeNext / 1000));

/**
 * How long a replica answers a refused key from memory before it asks the database again.
 * A flood of attempts on a locked key then costs no database work (measured: with every
 * refusal a transaction, 64 parallel attackers kept the connection pool busy and order
 * creation waited for it). Short, so a lock lifted in the database (its rows deleted) is
 * honoured everywhere within seconds. Dates, not timers: tests move the clock.
 */
const REMEMBER_REFUSALS_MS = 10_000;

export function createLoginThrottle(
  db: Database,
  policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE_POLICY,
): LoginThrottle {
  const consecutive = new DatabaseRateLimiter(db, {
    keyPrefix: 'login-fails:user+ip',
    points: policy.consecutiveFailures,
    duration: policy.failureMemorySeconds,
    purgesExpiredRows: true,
  });
  const lockouts = new DatabaseRateLimiter(db, {
    keyPrefix: 'login-lockouts:user+ip',
    points: 1,
    duration: policy.lockoutMemorySeconds,
  });
  const perAddress = new DatabaseRateLimiter(db, {
    keyPrefix: 'login-fails:ip',
    points: policy.failuresPerAddress,
    duration: policy.windowSeconds,
  });
  const perUsername = new DatabaseRateLimiter(db, {
    keyPrefix: 'login-fails:user',
    points: policy.failuresPerUsername,
    duration: policy.windowSeconds,
  });
  const recognised = new DatabaseRateLimiter(db, {
    keyPrefix: 'login-ok:user+ip',
    points: 1,
    duration: policy.recognisedPairSeconds,
  });

  /**
   * The wait of a refused pair. The attempt that crosses the limit locks the pair out for
   * a duration that doubles with each lock-out in memory; later ones see that lock-out.
   */
  async function pairWait(pairKey: string, refused: RateLimiterRes): Promise<number> {
    const isFirstOverLimit = refused.consumedPoints === policy.consecutiveFailures + 1;
    if (!isFirstOverLimit) {
      // An attempt racing the one that crosses may not see its lock-out yet (the counter
      // still expires with the failure memory): the shortest lock-out is the honest answer.
      const isLockedOut = refused.msBeforeNext <= policy.maxLockoutSeconds * 1000;
      return isLockedOut ? secondsUntil(refused.msBeforeNext) : policy.firstLockoutSeconds;
    }
    const lockoutCount = (await lockouts.penalty(pairKey)).consumedPoints;
    const seconds = Math.min(policy.firstLockoutSeconds * 2 ** (lockoutCount - 1), policy.maxLockoutSeconds);
    await consecutive.block(pairKey, seconds);
    return seconds;
  }

  /** Limiter key → when its refusal ends, and until when this replica trusts that from memory. */
  const refusals = new LRUCache<string, { endsAt: number; rememberedUntil: number }>({ max: 10_000 });

  function rememberedRefusal(keys: string[]): number | undefined {
    const now = Date.now();
    let endsAt = 0;
    for (const refusal of keys.map((key) => refusals.get(key))) {
      if (refusal && refusal.rememberedUntil > now) endsAt = Math.max(endsAt, refusal.endsAt);
    }
    return endsAt > now ? secondsUntil(endsAt - now) : undefined;
  }

  function rememberRefusal(key: string, seconds: number): void {
    const now = Date.now();
    refusals.set(key, {
      endsAt: now + seconds * 1000,
      rememberedUntil: now + Math.min(seconds * 1000, REMEMBER_REFUSALS_MS),
    });
  }

  /**
   * Addresses with an attempt being checked in this process. One at a time per address: a
   * client firing attempts in parallel holds at most one of the few password-hashing slots
   * (passwords.ts); and at most maxAttemptsInFlight in all, so a log-in never queues behind
   * more than that many checks.
   */
  const checking = new Set<string>();

  return {
    async admit(username, clientAddress) {
      const usernameKey = usernameKeyOf(username);
      const addressKey = addressKeyOf(clientAddress);
      const pairKey = `${usernameKey}:${addressKey}`;
      try {
        await startChecking({ usernameKey, addressKey, pairKey });
      } catch (error) {
        if (error instanceof TooManyLoginAttempts) await setTimeout(policy.refusalDelayMs);
        throw error;
      }
      return {
        succeeded: async () => {
          await Promise.all([
            consecutive.delete(pairKey),
            lockouts.delete(pairKey),
            perAddress.reward(addressKey),
            perUsername.reward(usernameKey),
            recognised.set(pairKey, 1, policy.recognisedPairSeconds),
          ]);
        },
        finished: () => checking.delete(addressKey),
      };
    },
  };

  /** Marks the address as checking and counts the attempt, or throws TooManyLoginAttempts. */
  async function startChecking(keys: { usernameKey: string; addressKey: string; pairKey: string }) {
    const { usernameKey, addressKey, pairKey } = keys;
    const counted = [
      { limiter: consecutive, key: pairKey },
      { limiter: perAddress, key: addressKey },
      { limiter: perUsername, key: usernameKey },
    ];
    const knownWait = rememberedRefusal(counted.map(({ limiter, key }) => limiter.getKey(key)));
    if (knownWait !== undefined) throw new TooManyLoginAttempts(knownWait);
    if (checking.has(addressKey)) throw new TooManyLoginAttempts(1);
    checking.add(addressKey);
    try {
      const isBusy = checking.size > policy.maxAttemptsInFlight;
      if (isBusy && (await recognised.get(pairKey)) === null) throw new TooManyLoginAttempts(1);
      await count(counted, pairKey);
    } catch (error) {
      checking.delete(addressKey);
      throw error;
    }
  }

  /** Consumes a point of each limit; throws TooManyLoginAttempts (refunding the rest) when one is exceeded. */
  async function count(counted: Array<{ limiter: DatabaseRateLimiter; key: string }>, pairKey: string) {
    const outcomes = await Promise.allSettled(counted.map(({ limiter, key }) => limiter.consume(key)));
    const waits: number[] = [];
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') continue;
      // The limiter rejects with a RateLimiterRes when over the limit, with an Error when
      // the database failed (→ 503 like any other query).
      if (!(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
      const refused = outcome.reason;
      const seconds = index === 0 ? await pairWait(pairKey, refused) : secondsUntil(refused.msBeforeNext);
      rememberRefusal(counted[index]!.limiter.getKey(counted[index]!.key), seconds);
      waits.push(seconds);
    }
    if (waits.length === 0) return;
    // A refused attempt checks no password, so it is no failure where it was admitted: an
    // operator refused by the cap on their username keeps their own count.
    await Promise.all(
      counted
        .filter((_, index) => outcomes[index]!.status === 'fulfilled')
        .map(({ limiter, key }) => limiter.reward(key)),
    );
    throw new TooManyLoginAttempts(Math.max(...waits));
  }
}
