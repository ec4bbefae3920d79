import { describe, expect, it } from 'vitest';
import { DUMMY_PASSWORD_HASH, hashPassword, isPasswordCorrect } from '../src/auth/passwords';

// The hash of the development operator in db/seed.sql.
const SEED_HASH =
  'scrypt$16384$8$1$x5T0mvlhbuXwqM4jEKHzkg$ODBHE0aq62UWrxesCo9xOS-EnPBSmrVf8HEtOgIoNDEWdgMpJQeRtgD-zrIv2y_h3QFepLP_PBuUDBXfAC8U5g';

describe('passwords', () => {
  it('when a password is hashed, then only that password verifies against the hash', async () => {
    const hash = await hashPassword('correct horse battery staple');

    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain('correct horse');
    expect(await isPasswordCorrect('correct horse battery staple', hash)).toBe(true);
    expect(await isPasswordCorrect('correct horse battery stapl', hash)).toBe(false);
  });

  it('when the same password is hashed twice, then the salts differ', async () => {
    expect(await hashPassword('same')).not.toBe(await hashPassword('same'));
  });

  it('when the seed operator password is checked, then the seeded hash accepts it', async () => {
    expect(await isPasswordCorrect('operator-dev-password', SEED_HASH)).toBe(true);
  });

  it('when a stored hash is malformed, then no password matches it', async () => {
    for (const malformed of ['', 'plain-text', 'bcrypt$1$2$3$c2FsdA$aGFzaA', 'scrypt$x$8$1$c2FsdA$aGFzaA']) {
      expect(await isPasswordCorrect('anything', malformed)).toBe(false);
    }
  });

  it('when the dummy hash is used for an unknown user, then it is a real hash of the default cost', async () => {
    expect(DUMMY_PASSWORD_HASH.split('$').slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    expect(await isPasswordCorrect('operator-dev-password', DUMMY_PASSWORD_HASH)).toBe(false);
  });
});
