import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Operator passwords are stored as `scrypt$N$r$p$salt$hash` (salt and hash base64url), so
 * the cost parameters travel with each hash and can be raised later without a migration.
 */
const DEFAULT_COST = { N: 16384, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 64;
// Room for N = 2^17 with r = 8 (128 MiB); anything costlier in the table is refused.
const MAX_MEMORY = 256 * 1024 * 1024;

function deriveKey(password: string, salt: Buffer, length: number, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { ...cost, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, KEY_BYTES, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface ParsedHash {
  cost: ScryptOptions;
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

/** Constant-time check of a password against a stored hash; a malformed hash never matches. */
export async function isPasswordCorrect(password: string, storedHash: string): Promise<boolean> {
  const parsed = parseHash(storedHash);
  if (!parsed || parsed.key.length === 0) return false;
  const candidate = await deriveKey(password, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(candidate, parsed.key);
}

/**
 * A hash of a random password nobody knows, with the default cost. Checking an unknown
 * username against it costs as much as checking a wrong password, so response times do
 * not reveal which usernames exist.
 */
export const DUMMY_PASSWORD_HASH =
  'scrypt$16384$8$1$rwkRMsrL7CKA3U-pJuTV4g$Iqg-NO4EYo_bjrO_FLQHBnI8R2Y_0CCr8xECQQxLeKGVoKq97tdgE234TZxP3Hf-0mQJiL7-Q0Iw3WhKryoXmA';
