import { describe, expect, it } from 'vitest';
import { isSupportedServerVersion, parseServerVersion } from '../../scripts/lib/server-version';

/**
 * The README supports MySQL 8 and MariaDB 10.11+; npm start, migrate, seed and operators judge
 * the server by what `SELECT VERSION()` answers before they use it.
 */
describe('the database server version rule', () => {
  it.each([
    ['10.11.6-MariaDB-0+deb12u1', { product: 'MariaDB', major: 10, minor: 11, patch: 6 }, true],
    ['11.4.2-MariaDB', { product: 'MariaDB', major: 11, minor: 4, patch: 2 }, true],
    ['5.5.5-10.11.6-MariaDB', { product: 'MariaDB', major: 10, minor: 11, patch: 6 }, true],
    ['10.5.23-MariaDB', { product: 'MariaDB', major: 10, minor: 5, patch: 23 }, false],
    ['10.5.x-MariaDB', { product: 'MariaDB', major: 10, minor: 5, patch: undefined }, false],
    ['10.6.18-MariaDB-log', { product: 'MariaDB', major: 10, minor: 6, patch: 18 }, false],
    ['8.0.36', { product: 'MySQL', major: 8, minor: 0, patch: 36 }, true],
    ['8.0.36-28', { product: 'MySQL', major: 8, minor: 0, patch: 36 }, true],
    ['9.1.0', { product: 'MySQL', major: 9, minor: 1, patch: 0 }, true],
    ['5.7.44', { product: 'MySQL', major: 5, minor: 7, patch: 44 }, false],
    ['5.7.44-log', { product: 'MySQL', major: 5, minor: 7, patch: 44 }, false],
  ])('when the server says %s, then it is %o, supported: %s', (text, expected, supported) => {
    const version = parseServerVersion(text);

    expect(version).toEqual(expected);
    expect(isSupportedServerVersion(version!)).toBe(supported);
  });

  it('when the answer does not start with a version, then it is not judged (undefined)', () => {
    expect(parseServerVersion('MariaDB')).toBeUndefined();
    expect(parseServerVersion('')).toBeUndefined();
  });
});
