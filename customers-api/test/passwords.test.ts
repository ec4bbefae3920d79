import type * as NodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_SCRYPT_COST,
  hashPassword,
  isBelowCost,
  isPasswordCorrect,
  MAX_CONCURRENT_HASHES,
  unmatchablePasswordHash,
} from '../src/auth/passwords';
import { CHEAP_SCRYPT_COST } from './helpers';

// scrypt stays real; the wrapper records how many runs overlap.
const scryptRuns = vi.hoisted(() => ({ running: 0, mostAtOnce: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof NodeCrypto>();
  const scrypt = (...args: unknown[]) => {
    const callback = args.pop() as (error: Error | null, key: Buffer) => void;
    scryptRuns.running += 1;
    scryptRuns.mostAtOnce = Math.max(scryptRuns.mostAtOnce, scryptRuns.running);
    try {
      (crypto.scrypt as (...rest: unknown[]) => void)(...args, (error: Error | null, key: Buffer) => {
        scryptRuns.running -= 1;
        callback(error, key);
      });
    } catch (error) {
      // Parameters scrypt refuses at once (N not a power of two, too much memory).
      scryptRuns.running -= 1;
      throw error;
    }
  };
  return { ...crypto, scrypt };
});

// Each run at the real cost (N = 2^17) takes up to a second here: only the first test and
// the seed test pay for it.

/** The development operator's hash, as db/seed.sql stores it. */
const SEED_HASH = /'(scrypt\$[^']+)'/.exec(
  readFileSync(path.resolve(import.meta.dirname, '../../db/seed.sql'), 'utf8'),
)![1]!;

/** The development operator's hash before the cost was raised to OWASP's (N = 2^14). */
const OLDER_HASH =
  'scrypt$16384$8$1$x5T0mvlhbuXwqM4jEKHzkg$ODBHE0aq62UWrxesCo9xOS-EnPBSmrVf8HEtOgIoNDEWdgMpJQeRtgD-zrIv2y_h3QFepLP_PBuUDBXfAC8U5g';

describe('passwords', () => {
  it('when a password is hashed, then with the OWASP cost stored in the hash, and only that password verifies', async () => {
    const hash = await hashPassword('correct horse battery staple');

    expect(DEFAULT_SCRYPT_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{86}$/);
    expect(hash).not.toContain('correct horse');
    expect(await isPasswordCorrect('correct horse battery staple', hash)).toBe(true);
    expect(await isPasswordCorrect('correct horse battery stapl', hash)).toBe(false);
  });

  it('when the same password is hashed twice, then the salts differ', async () => {
    expect(await hashPassword('same', CHEAP_SCRYPT_COST)).not.toBe(
      await hashPassword('same', CHEAP_SCRYPT_COST),
    );
  });

  it('when the seed operator password is checked, then the seeded hash (of the current cost) accepts it', async () => {
    expect(isBelowCost(SEED_HASH)).toBe(false);
    expect(await isPasswordCorrect('operator-dev-password', SEED_HASH)).toBe(true);
  });

  it('when a hash has an older, lower cost, then it still verifies with its own parameters and is due for a rehash', async () => {
    expect(await isPasswordCorrect('operator-dev-password', OLDER_HASH)).toBe(true);
    expect(await isPasswordCorrect('operator-dev-password!', OLDER_HASH)).toBe(false);
    expect(isBelowCost(OLDER_HASH)).toBe(true);
  });

  it('when a hash has the current cost or a higher one, then it is not due for a rehash', () => {
    const { N, r, p } = DEFAULT_SCRYPT_COST;
    expect(isBelowCost(`scrypt$${N}$${r}$${p}$c2FsdA$aGFzaA`)).toBe(false);
    expect(isBelowCost(`scrypt$${N * 2}$${r}$${p}$c2FsdA$aGFzaA`)).toBe(false);
    expect(isBelowCost(`scrypt$${N}$${r}$${p}$c2FsdA$aGFzaA`, { N: N * 2, r, p })).toBe(true);
    expect(isBelowCost('not-a-hash')).toBe(false);
  });

  it('when a stored hash is malformed or needs more memory than allowed, then no password matches it', async () => {
    for (const malformed of [
      '',
      'plain-text',
      'bcrypt$1$2$3$c2FsdA$aGFzaA',
      'scrypt$x$8$1$c2FsdA$aGFzaA',
      // N must be a power of two.
      'scrypt$1000$8$1$c2FsdA$aGFzaA',
      // 128 · 2^20 · 8 bytes = 1 GiB: refused, not run.
      'scrypt$1048576$8$1$c2FsdA$aGFzaA',
    ]) {
      expect(await isPasswordCorrect('anything', malformed), malformed).toBe(false);
    }
  });

  it('when many passwords are checked at once, then at most MAX_CONCURRENT_HASHES scrypt runs overlap, and every check completes', async () => {
    const hash = await hashPassword('busy', CHEAP_SCRYPT_COST);
    scryptRuns.mostAtOnce = 0;

    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, index) => isPasswordCorrect(index === 0 ? 'busy' : 'wrong', hash)),
    );

    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(scryptRuns.mostAtOnce).toBe(MAX_CONCURRENT_HASHES);
  });

  it('when an unknown user is checked against the unmatchable hash, then it carries the given cost and matches nothing', async () => {
    const { N, r, p } = DEFAULT_SCRYPT_COST;
    expect(unmatchablePasswordHash().split('$').slice(0, 4)).toEqual(['scrypt', `${N}`, `${r}`, `${p}`]);

    const cheap = unmatchablePasswordHash(CHEAP_SCRYPT_COST);
    expect(cheap.split('$').slice(0, 4)).toEqual(['scrypt', '1024', '8', '1']);
    for (const password of ['', 'operator-dev-password', 'anything']) {
      expect(await isPasswordCorrect(password, cheap)).toBe(false);
    }
  });
});
