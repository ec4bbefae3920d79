import { SignJWT } from 'jose';
import type { AuthConfig } from '../config';
import { signOperatorToken } from '../auth';

/** Secrets used by every test; never the development or a production secret. */
export const TEST_AUTH: AuthConfig = {
  jwtSecret: 'test-jwt-secret-0123456789abcdef0123456789',
  jwtIssuer: 'b2b-orders-customers-api',
  jwtAudience: 'b2b-orders-backoffice',
  serviceToken: 'test-service-token-0123456789',
  tokenTtlSeconds: 3600,
};

/** CURSOR_SECRET of every test app; never the development secret the contract examples use. */
export const TEST_CURSOR_SECRET = 'test-cursor-secret-0123456789abcdef0123456789';

export function operatorToken(username = 'test-operator', expiresInSeconds = 600): Promise<string> {
  return signOperatorToken(TEST_AUTH, username, expiresInSeconds);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Tokens a client should never get past authentication with, for the auth matrix. */
export async function invalidOperatorTokens(): Promise<Record<string, string>> {
  const key = (secret: string) => new TextEncoder().encode(secret);
  const claims = { kind: 'operator' };
  const now = Math.floor(Date.now() / 1000);
  const unsignedHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const unsignedPayload = Buffer.from(
    JSON.stringify({
      ...claims,
      sub: 'mallory',
      iss: TEST_AUTH.jwtIssuer,
      aud: TEST_AUTH.jwtAudience,
      exp: now + 600,
    }),
  ).toString('base64url');
  return {
    expired: await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('test-operator')
      .setIssuer(TEST_AUTH.jwtIssuer)
      .setAudience(TEST_AUTH.jwtAudience)
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 60)
      .sign(key(TEST_AUTH.jwtSecret)),
    'signed with another secret': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('test-operator')
      .setIssuer(TEST_AUTH.jwtIssuer)
      .setAudience(TEST_AUTH.jwtAudience)
      .setExpirationTime(now + 600)
      .sign(key('another-secret-0123456789abcdef0123456789')),
    'alg none': `${unsignedHeader}.${unsignedPayload}.`,
    'wrong audience': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('test-operator')
      .setIssuer(TEST_AUTH.jwtIssuer)
      .setAudience('someone-else')
      .setExpirationTime(now + 600)
      .sign(key(TEST_AUTH.jwtSecret)),
    garbage: 'not-a-token',
    // Well signed, but with claims our issuer never produces (see verifyOperatorToken).
    'lifetime longer than the TTL': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('test-operator')
      .setIssuer(TEST_AUTH.jwtIssuer)
      .setAudience(TEST_AUTH.jwtAudience)
      .setIssuedAt(now)
      .setExpirationTime(now + TEST_AUTH.tokenTtlSeconds + 60)
      .sign(key(TEST_AUTH.jwtSecret)),
    'issued in the future': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('test-operator')
      .setIssuer(TEST_AUTH.jwtIssuer)
      .setAudience(TEST_AUTH.jwtAudience)
      .setIssuedAt(now + 120)
      .setExpirationTime(now + 600)
      .sign(key(TEST_AUTH.jwtSecret)),
    'not valid yet': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('test-operator')
      .setIssuer(TEST_AUTH.jwtIssuer)
      .setAudience(TEST_AUTH.jwtAudience)
      .setIssuedAt(now)
      .setNotBefore(now + 120)
      .setExpirationTime(now + 600)
      .sign(key(TEST_AUTH.jwtSecret)),
    'without iat': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('test-operator')
      .setIssuer(TEST_AUTH.jwtIssuer)
      .setAudience(TEST_AUTH.jwtAudience)
      .setExpirationTime(now + 600)
      .sign(key(TEST_AUTH.jwtSecret)),
  };
}
