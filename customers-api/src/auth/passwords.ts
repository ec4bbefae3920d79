import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Operator passwords are stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url), so
 * the cost parameters travel with each hash: a hash is always checked with the cost it was
 * made with, and raising the cost later needs no migration (older hashes are upgraded at
 * the next successful log-in, see `isBelowCost`).
 */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * The OWASP Password Storage Cheat Sheet's minimum for scrypt: N = 2^17, r = 8 (1024-byte
 * blocks), p = 1. It takes 128 MiB per hash (128 · N · r bytes) and ~0.3–0.9 s of one core.
 */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 64;
// Node refuses to run scrypt when 128 · N · r exceeds maxmem (its default, 32 MiB, is too
// small for the default cost). 256 MiB leaves room for N = 2^17, r = 8 with Node's own
// overhead; a stored hash that would need more is refused rather than run.
const MAX_MEMORY = 256 * 1024 * 1024;

/**
 * At most this many scrypt runs at once in a process; the others wait their turn, in order.
 * Each run holds 128 MiB and a core on libuv's thread pool (4 threads, shared with file and
 * DNS work): without a bound, a burst of log-ins would take them all, and raising
 * UV_THREADPOOL_SIZE would multiply the memory.
 */
export const MAX_CONCURRENT_HASHES = 2;
let hashesRunning = 0;
const hashesWaiting: Array<() => void> = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (hashesRunning < MAX_CONCURRENT_HASHES) hashesRunning += 1;
  else await new Promise<void>((resolve) => hashesWaiting.push(resolve));
  try {
    return await work();
  } finally {
    // Hand the slot to the next in line, or free it.
    const next = hashesWaiting.shift();
    if (next) next();
    else hashesRunning -= 1;
  }
}

function deriveKey(password: string, salt: Buffer, length: number, cost: ScryptCost): Promise<Buffer> {
  return withHashSlot(
    () =>
      new Promise((resolve, reject) => {
        scrypt(password, salt, length, { ...cost, maxmem: MAX_MEMORY }, (error, key) =>
          error ? reject(error) : resolve(key),
        );
      }),
  );
}

function formatHash({ N, r, p }: ScryptCost, salt: Buffer, key: Buffer): string {
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function hashPassword(
  password: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return formatHash(cost, salt, await deriveKey(password, salt, KEY_BYTES, cost));
}

interface ParsedHash {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const [scheme, N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return undefined;
  const cost = { N: Number(N), r: Number(r), p: Number(p) };
  if (!Object.values(cost).every((value) => Number.isSafeInteger(value) && value > 0)) return undefined;
  return { cost, salt: Buffer.from(salt, 'base64url'), key: Buffer.from(key, 'base64url') };
}

/**
 * Constant-time check of a password against a stored hash, with the hash's own cost; a
 * malformed hash, or one whose cost is beyond MAX_MEMORY, never matches.
 */
export async function isPasswordCorrect(password: string, storedHash: string): Promise<boolean> {
  const parsed = parseHash(storedHash);
  if (!parsed || parsed.key.length === 0) return false;
  const candidate = await deriveKey(password, parsed.salt, parsed.key.length, parsed.cost).catch(
    () => undefined,
  );
  return candidate !== undefined && timingSafeEqual(candidate, parsed.key);
}

/** True when a stored hash was made with a lower cost than `cost` (it should be rehashed). */
export function isBelowCost(storedHash: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): boolean {
  const parsed = parseHash(storedHash);
  if (!parsed) return false;
  return parsed.cost.N < cost.N || parsed.cost.r < cost.r || parsed.cost.p < cost.p;
}

const UNMATCHABLE_SALT = randomBytes(SALT_BYTES);
const UNMATCHABLE_KEY = randomBytes(KEY_BYTES);

/**
 * A hash no password matches (a random key: finding a password whose scrypt equals it is
 * as hard as inverting scrypt), with the given cost. Checking an unknown username against
 * it costs as much as checking a wrong password, so response times do not reveal which
 * usernames exist.
 */
export function unmatchablePasswordHash(cost: ScryptCost = DEFAULT_SCRYPT_COST): string {
  return formatHash(cost, UNMATCHABLE_SALT, UNMATCHABLE_KEY);
}
