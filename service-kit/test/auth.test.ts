import { timingSafeEqual } from 'node:crypto';
import type * as NodeCrypto from 'node:crypto';
import type { Request } from 'express';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  authenticate,
  bearerToken,
  CLOCK_TOLERANCE_SECONDS,
  isServiceToken,
  securityHandlers,
  signOperatorToken,
  verifyOperatorToken,
} from '../src/auth';
import type { AuthConfig } from '../src/config';
import { Forbidden, Unauthorized } from '../src/errors';

// Spied on, not replaced: the comparison stays real, the test sees what it compared.
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof NodeCrypto>();
  return { ...crypto, timingSafeEqual: vi.fn(crypto.timingSafeEqual) };
});

const AUTH: AuthConfig = {
  jwtSecret: 'auth-test-jwt-secret-0123456789abcdef012345',
  jwtIssuer: 'b2b-orders-customers-api',
  jwtAudience: 'b2b-orders-backoffice',
  serviceToken: 'auth-test-service-token-0123456789',
  tokenTtlSeconds: 900,
};

const NOW = new Date('2026-11-23T09:30:00.000Z');
const nowInSeconds = () => Math.floor(Date.now() / 1000);
const key = (secret = AUTH.jwtSecret) => new TextEncoder().encode(secret);

/** An operator token as signOperatorToken makes it, with one thing changed. */
function operatorJwt(
  options: {
    alg?: string;
    secret?: string;
    issuer?: string;
    audience?: string;
    claims?: Record<string, unknown>;
    expiresAt?: number | null;
    issuedAt?: number | null;
    notBefore?: number;
  } = {},
) {
  const jwt = new SignJWT({ kind: 'operator', ...options.claims })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setSubject('ana')
    .setIssuer(options.issuer ?? AUTH.jwtIssuer)
    .setAudience(options.audience ?? AUTH.jwtAudience);
  if (options.issuedAt !== null) jwt.setIssuedAt(options.issuedAt ?? nowInSeconds());
  if (options.expiresAt !== null) jwt.setExpirationTime(options.expiresAt ?? nowInSeconds() + 600);
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
  return jwt.sign(key(options.secret));
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  // Only Date: expiry is a matter of the clock, and nothing here waits on a timer.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
  vi.mocked(timingSafeEqual).mockClear();
});

describe('operator tokens', () => {
  it('when a token is signed, then it verifies as that operator', async () => {
    const token = await signOperatorToken(AUTH, 'ana', 600);

    expect(await verifyOperatorToken(AUTH, token)).toEqual({ kind: 'operator', username: 'ana' });
  });

  it('when a token is signed, then it is HS256 with issuer, audience, subject and an expiry ttl seconds from now', async () => {
    const token = await signOperatorToken(AUTH, 'ana', 600);

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({
      kind: 'operator',
      sub: 'ana',
      iss: AUTH.jwtIssuer,
      aud: AUTH.jwtAudience,
      iat: nowInSeconds(),
      exp: nowInSeconds() + 600,
    });
  });

  it('when the clock is one second short of the expiry plus the clock tolerance, then the token is still accepted', async () => {
    const token = await signOperatorToken(AUTH, 'ana', 600);

    vi.setSystemTime(NOW.getTime() + (600 + CLOCK_TOLERANCE_SECONDS - 1) * 1000);

    expect(await verifyOperatorToken(AUTH, token)).toEqual({ kind: 'operator', username: 'ana' });
  });

  it('when the token has expired (beyond the clock tolerance), then Unauthorized saying so', async () => {
    const token = await signOperatorToken(AUTH, 'ana', 600);

    vi.setSystemTime(NOW.getTime() + (600 + CLOCK_TOLERANCE_SECONDS) * 1000);

    const error = await rejectionOf(verifyOperatorToken(AUTH, token));
    expect(error).toBeInstanceOf(Unauthorized);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', message: 'The bearer token has expired.' });
  });

  it('when a token was verified (and remembered) and then expires, then it is refused', async () => {
    const token = await signOperatorToken(AUTH, 'ben', 600);
    expect(await verifyOperatorToken(AUTH, token)).toEqual({ kind: 'operator', username: 'ben' });

    vi.setSystemTime(NOW.getTime() + (600 + CLOCK_TOLERANCE_SECONDS) * 1000);

    expect(await rejectionOf(verifyOperatorToken(AUTH, token))).toMatchObject({
      message: 'The bearer token has expired.',
    });
  });

  it('when the secret is rotated, then a token verified under the old secret is refused', async () => {
    const token = await signOperatorToken(AUTH, 'cleo', 600);
    expect(await verifyOperatorToken(AUTH, token)).toEqual({ kind: 'operator', username: 'cleo' });
    const rotated: AuthConfig = { ...AUTH, jwtSecret: `${AUTH.jwtSecret}-rotated` };

    expect(await rejectionOf(verifyOperatorToken(rotated, token))).toBeInstanceOf(Unauthorized);
  });

  const invalid: Array<[string, () => Promise<string> | string]> = [
    ['signed with HS512', () => operatorJwt({ alg: 'HS512' })],
    ['signed with HS384', () => operatorJwt({ alg: 'HS384' })],
    [
      'unsigned (alg: none)',
      () =>
        `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
          kind: 'operator',
          sub: 'ana',
          iss: AUTH.jwtIssuer,
          aud: AUTH.jwtAudience,
          exp: nowInSeconds() + 600,
        })}.`,
    ],
    ['from another issuer', () => operatorJwt({ issuer: 'someone-else' })],
    ['for another audience', () => operatorJwt({ audience: 'someone-else' })],
    [
      'signed with another secret',
      () => operatorJwt({ secret: 'another-secret-0123456789abcdef0123456789' }),
    ],
    ['without an expiry', () => operatorJwt({ expiresAt: null })],
    // Claims our issuer never produces: a token made with a leaked secret or a forged clock.
    ['without iat', () => operatorJwt({ issuedAt: null })],
    [
      'with a lifetime longer than the TTL',
      () => operatorJwt({ expiresAt: nowInSeconds() + AUTH.tokenTtlSeconds + 1 }),
    ],
    [
      'with a lifetime of a year, issued a minute ago',
      () => operatorJwt({ issuedAt: nowInSeconds() - 60, expiresAt: nowInSeconds() + 365 * 86400 }),
    ],
    [
      'expiring before it was issued',
      () => operatorJwt({ issuedAt: nowInSeconds() + 1, expiresAt: nowInSeconds() }),
    ],
    [
      'issued in the future beyond the clock tolerance',
      () =>
        operatorJwt({
          issuedAt: nowInSeconds() + CLOCK_TOLERANCE_SECONDS + 1,
          expiresAt: nowInSeconds() + 600,
        }),
    ],
    [
      'not valid before a later time',
      () => operatorJwt({ notBefore: nowInSeconds() + CLOCK_TOLERANCE_SECONDS + 1 }),
    ],
    [
      'with a tampered signature',
      async () => {
        const [header, payload, signature] = (await operatorJwt()).split('.');
        const flipped = Buffer.from(signature!, 'base64url');
        flipped[0] = flipped[0]! ^ 1;
        return `${header}.${payload}.${flipped.toString('base64url')}`;
      },
    ],
    [
      'with a tampered payload',
      async () => {
        const [header, payload, signature] = (await operatorJwt()).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        return `${header}.${base64url({ ...claims, sub: 'admin' })}.${signature}`;
      },
    ],
    ['not a JWT', () => 'not-a-token'],
  ];

  it.each(invalid)('when the token is %s, then Unauthorized: invalid', async (_, makeToken) => {
    const error = await rejectionOf(verifyOperatorToken(AUTH, await makeToken()));

    expect(error).toBeInstanceOf(Unauthorized);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', message: 'The bearer token is invalid.' });
  });

  it('when a token was issued longer ago than the TTL, then Unauthorized: expired, whatever its exp says', async () => {
    const token = await operatorJwt({
      issuedAt: nowInSeconds() - AUTH.tokenTtlSeconds - CLOCK_TOLERANCE_SECONDS - 1,
    });

    const error = await rejectionOf(verifyOperatorToken(AUTH, token));

    expect(error).toBeInstanceOf(Unauthorized);
    expect(error).toMatchObject({ message: 'The bearer token has expired.' });
  });

  it("when the issuer's clock runs a few seconds ahead (within the tolerance), then its token is accepted", async () => {
    const issuedAt = nowInSeconds() + CLOCK_TOLERANCE_SECONDS;
    const token = await operatorJwt({ issuedAt, expiresAt: issuedAt + AUTH.tokenTtlSeconds });

    expect(await verifyOperatorToken(AUTH, token)).toEqual({ kind: 'operator', username: 'ana' });
  });

  it('when a token is signed without a lifetime, then it lives exactly the TTL and is accepted', async () => {
    const token = await signOperatorToken(AUTH, 'ana');

    expect(decodeJwt(token).exp! - decodeJwt(token).iat!).toBe(AUTH.tokenTtlSeconds);
    expect(await verifyOperatorToken(AUTH, token)).toEqual({ kind: 'operator', username: 'ana' });
  });

  it('when a token longer than the TTL is to be signed, then signing refuses', async () => {
    await expect(signOperatorToken(AUTH, 'ana', AUTH.tokenTtlSeconds + 1)).rejects.toThrow(RangeError);
  });

  it('when a valid JWT is not an operator token, then Unauthorized', async () => {
    const token = await operatorJwt({ claims: { kind: 'service' } });

    const error = await rejectionOf(verifyOperatorToken(AUTH, token));

    expect(error).toBeInstanceOf(Unauthorized);
    expect(error).toMatchObject({ message: 'The bearer token is not an operator token.' });
  });
});

describe('the service token', () => {
  it('when the token is the configured one, then it is the service token', () => {
    expect(isServiceToken(AUTH, AUTH.serviceToken)).toBe(true);
  });

  it.each([
    ['another token of the same length', AUTH.serviceToken.replace(/.$/, 'x')],
    ['a prefix of it', AUTH.serviceToken.slice(0, -1)],
    ['it and more', `${AUTH.serviceToken}x`],
    ['empty', ''],
  ])('when the token is %s, then it is not', (_, token) => {
    expect(isServiceToken(AUTH, token)).toBe(false);
  });

  it.each([
    ['as long as the secret', AUTH.serviceToken.replace(/.$/, 'x')],
    ['shorter than the secret', 'short'],
    ['longer than the secret', AUTH.serviceToken.repeat(3)],
  ])('when a token %s is compared, then in constant time over two equal-length digests', (_, token) => {
    isServiceToken(AUTH, token);

    const compare = vi.mocked(timingSafeEqual);
    expect(compare).toHaveBeenCalledTimes(1);
    const [given, expected] = compare.mock.calls[0]! as [Buffer, Buffer];
    expect([given.length, expected.length]).toEqual([32, 32]);
    expect(given.equals(Buffer.from(token))).toBe(false);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def', 'abc.def'],
    ['bearer abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('when the header is %j, then the token is %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('authenticate', () => {
  it('when there is no bearer token, then Unauthorized asking for one', async () => {
    const error = await rejectionOf(authenticate(AUTH, undefined));

    expect(error).toBeInstanceOf(Unauthorized);
    expect(error).toMatchObject({ message: 'An Authorization: Bearer token is required.' });
  });

  it('when the token is the service token, then the caller is the service', async () => {
    expect(await authenticate(AUTH, `Bearer ${AUTH.serviceToken}`)).toEqual({ kind: 'service' });
  });

  it('when the token is an operator JWT, then the caller is that operator', async () => {
    const token = await signOperatorToken(AUTH, 'ana', 600);

    expect(await authenticate(AUTH, `Bearer ${token}`)).toEqual({ kind: 'operator', username: 'ana' });
  });
});

describe('securityHandlers', () => {
  const handlers = securityHandlers(AUTH);
  const requestWith = (authorization?: string) => ({ headers: { authorization } }) as unknown as Request;

  it('when an operator calls an operator operation, then it passes', async () => {
    const request = requestWith(`Bearer ${await signOperatorToken(AUTH, 'ana', 600)}`);

    expect(await handlers.operatorJwt(request)).toBe(true);
  });

  it('when the service calls a service operation, then it passes', async () => {
    const request = requestWith(`Bearer ${AUTH.serviceToken}`);

    expect(await handlers.serviceToken(request)).toBe(true);
  });

  it('when an operation accepts both schemes, then the caller is authenticated once for both', async () => {
    const request = requestWith(`Bearer ${AUTH.serviceToken}`);
    const headers = request.headers as { authorization?: string };
    let reads = 0;
    Object.defineProperty(headers, 'authorization', {
      get: () => {
        reads += 1;
        return `Bearer ${AUTH.serviceToken}`;
      },
    });

    const outcomes = await Promise.allSettled([
      handlers.operatorJwt(request),
      handlers.serviceToken(request),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'fulfilled']);
    expect(reads).toBe(1);
  });

  it('when the service token is used on an operator operation, then Forbidden', async () => {
    const request = requestWith(`Bearer ${AUTH.serviceToken}`);

    const error = await rejectionOf(handlers.operatorJwt(request));

    expect(error).toBeInstanceOf(Forbidden);
    expect(error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('when an operator token is used on a service operation, then Forbidden', async () => {
    const request = requestWith(`Bearer ${await signOperatorToken(AUTH, 'ana', 600)}`);

    const error = await rejectionOf(handlers.serviceToken(request));

    expect(error).toBeInstanceOf(Forbidden);
  });

  it.each(['operatorJwt', 'serviceToken'] as const)(
    'when the credential on a %s operation is missing or invalid, then Unauthorized, not Forbidden',
    async (scheme) => {
      for (const authorization of [
        undefined,
        'Bearer not-a-token',
        `Bearer ${await operatorJwt({ alg: 'HS512' })}`,
      ]) {
        const error = await rejectionOf(handlers[scheme](requestWith(authorization)));

        expect(error, authorization).toBeInstanceOf(Unauthorized);
      }
    },
  );
});
