import { createHash, timingSafeEqual } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Request } from 'express';
import type { AuthConfig } from './config';
import { Forbidden, Unauthorized } from './errors';

export type Principal = { kind: 'operator'; username: string } | { kind: 'service' };

const ALGORITHM = 'HS256';

function secretKey(config: AuthConfig): Uint8Array {
  return new TextEncoder().encode(config.jwtSecret);
}

export async function signOperatorToken(
  config: AuthConfig,
  username: string,
  expiresInSeconds: number,
): Promise<string> {
  return new SignJWT({ kind: 'operator' })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(username)
    .setIssuer(config.jwtIssuer)
    .setAudience(config.jwtAudience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(secretKey(config));
}

/**
 * Verifies an operator JWT: HS256 only (so `alg: none` and algorithm confusion are
 * refused), issuer, audience and expiry enforced.
 */
export async function verifyOperatorToken(config: AuthConfig, token: string): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, secretKey(config), {
      algorithms: [ALGORITHM],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      requiredClaims: ['sub', 'exp'],
    });
    if (payload.kind !== 'operator' || typeof payload.sub !== 'string') {
      throw new Unauthorized('The bearer token is not an operator token.');
    }
    return { kind: 'operator', username: payload.sub };
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
    if (error instanceof joseErrors.JWTExpired) {
      throw new Unauthorized('The bearer token has expired.');
    }
    throw new Unauthorized('The bearer token is invalid.');
  }
}

/** Constant-time comparison: both sides are hashed first so their lengths never leak. */
export function isServiceToken(config: AuthConfig, token: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(token), digest(config.serviceToken));
}

export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/** Works out who is calling; throws Unauthorized when the credential is missing or invalid. */
export async function authenticate(
  config: AuthConfig,
  authorization: string | undefined,
): Promise<Principal> {
  const token = bearerToken(authorization);
  if (!token) throw new Unauthorized('An Authorization: Bearer token is required.');
  if (isServiceToken(config, token)) return { kind: 'service' };
  return verifyOperatorToken(config, token);
}

export type SecurityScheme = 'operatorJwt' | 'serviceToken';

const SCHEME_FOR: Record<Principal['kind'], SecurityScheme> = {
  operator: 'operatorJwt',
  service: 'serviceToken',
};

export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

/**
 * express-openapi-validator security handlers, one per scheme of the contracts. Each one
 * accepts only its own kind of credential: a valid credential of the other kind is a 403,
 * a missing or invalid one a 401. The validator keeps the status of the first failure.
 */
export function securityHandlers(config: AuthConfig) {
  const handlerFor = (scheme: SecurityScheme) => async (request: Request) => {
    const principal = await authenticate(config, request.headers.authorization);
    if (SCHEME_FOR[principal.kind] !== scheme) throw new Forbidden();
    (request as AuthenticatedRequest).principal = principal;
    return true;
  };
  return { operatorJwt: handlerFor('operatorJwt'), serviceToken: handlerFor('serviceToken') };
}
