import { createHash, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AuthConfig } from './config';
import { Forbidden, Unauthorized } from './errors';

export type Principal = { kind: 'operator'; username: string } | { kind: 'service' };

const ALGORITHM = 'HS256';

/** At most this many verified operator tokens are remembered per configuration. */
const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * What is derived once from an AuthConfig: the HMAC key (importing it on every call costs
 * ~175 µs), the tokens already verified with it and the SHA-256 of the service token. Keyed
 * by the config object, so a new configuration (a rotated secret) starts with an empty cache.
 */
interface Verifier {
  key: KeyObject;
  serviceTokenDigest: Buffer;
  /** token → the operator it names and its `exp` in ms; each entry lives until then. */
  verified: LRUCache<string, { principal: Principal; expiresAtMs: number }>;
}

const verifiers = new WeakMap<AuthConfig, Verifier>();

function verifierFor(config: AuthConfig): Verifier {
  let verifier = verifiers.get(config);
  if (!verifier) {
    verifier = {
      key: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')),
      serviceTokenDigest: digest(config.serviceToken),
      verified: new LRUCache({ max: VERIFIED_TOKEN_CACHE_SIZE, ttlAutopurge: false }),
    };
    verifiers.set(config, verifier);
  }
  return verifier;
}

/**
 * How far the clocks of the issuer and a verifier may disagree, in seconds: applied by jose
 * to `exp`, `nbf` and `iat` alike, so a token issued by a host whose clock runs a little
 * ahead is not refused as "issued in the future".
 */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Signs an operator JWT (HS256) for `username`, valid `expiresInSeconds` from now (the
 * configured TTL by default). A longer lifetime would be refused by every verifier.
 */
export async function signOperatorToken(
  config: AuthConfig,
  username: string,
  expiresInSeconds = config.tokenTtlSeconds,
): Promise<string> {
  if (expiresInSeconds > config.tokenTtlSeconds) {
    throw new RangeError(`A token may live at most ${config.tokenTtlSeconds} s (JWT_TTL_SECONDS)`);
  }
  return new SignJWT({ kind: 'operator' })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(username)
    .setIssuer(config.jwtIssuer)
    .setAudience(config.jwtAudience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(verifierFor(config).key);
}

/**
 * Verifies an operator JWT (RFC 7519): HS256 only (so `alg: none` and algorithm confusion
 * are refused), issuer, audience and expiry enforced. Only claims our issuer could have
 * produced pass: `iat` and `exp` present, `iat` not in the future, the token no older than
 * the TTL (`maxTokenAge`), `nbf` (if any) reached, and a lifetime `exp - iat` of at most
 * the TTL — a token minted with a stolen secret for a year is refused. Each check allows
 * CLOCK_TOLERANCE_SECONDS of clock skew. A token verified once is remembered until it
 * expires (a bounded LRU cache; a hit costs well under a microsecond, a verification
 * ~100 µs). Throws Unauthorized when the token is invalid or expired.
 */
export async function verifyOperatorToken(config: AuthConfig, token: string): Promise<Principal> {
  const { key, verified } = verifierFor(config);
  const remembered = verified.get(token);
  // The wall clock decides expiry, as it does for jose; the cache's own TTL only frees memory.
  if (remembered && Date.now() < remembered.expiresAtMs) return remembered.principal;
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      requiredClaims: ['sub', 'exp', 'iat'],
      maxTokenAge: config.tokenTtlSeconds,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    const lifetimeSeconds = payload.exp! - payload.iat!;
    if (lifetimeSeconds <= 0 || lifetimeSeconds > config.tokenTtlSeconds) {
      throw new Unauthorized('The bearer token is invalid.');
    }
    if (payload.kind !== 'operator' || typeof payload.sub !== 'string') {
      throw new Unauthorized('The bearer token is not an operator token.');
    }
    const principal: Principal = { kind: 'operator', username: payload.sub };
    // Remembered exactly as long as jose would still accept it.
    const expiresAtMs = (payload.exp! + CLOCK_TOLERANCE_SECONDS) * 1000;
    const ttl = expiresAtMs - Date.now();
    if (ttl > 0) verified.set(token, { principal, expiresAtMs }, { ttl });
    return principal;
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
  return timingSafeEqual(digest(token), verifierFor(config).serviceTokenDigest);
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

/** Who sent each request, as its security handlers authenticated it. */
const principals = new WeakMap<Request, Promise<Principal>>();

/**
 * The caller of a request that passed its operation's security (securityHandlers), e.g. the
 * owner of an idempotency key; undefined for an operation that requires no credentials.
 */
export function callerOf(request: Request): Promise<Principal> | undefined {
  return principals.get(request);
}

/**
 * express-openapi-validator security handlers, one per scheme of the contracts. Each one
 * accepts only its own kind of credential: a valid credential of the other kind is a 403,
 * a missing or invalid one a 401. The validator runs every scheme an operation allows, so
 * the caller is authenticated once per request and the handlers share the answer.
 */
export function securityHandlers(config: AuthConfig) {
  const principalOf = (request: Request) => {
    let principal = principals.get(request);
    if (!principal) {
      principal = authenticate(config, request.headers.authorization);
      principals.set(request, principal);
    }
    return principal;
  };
  // On a route open to both schemes one handler always refuses the caller: one error
  // object, built once, spares a stack trace per request (4xx are never logged with one).
  const wrongKind = new Forbidden();
  const handlerFor = (scheme: SecurityScheme) => async (request: Request) => {
    if (SCHEME_FOR[(await principalOf(request)).kind] !== scheme) throw wrongKind;
    return true;
  };
  return { operatorJwt: handlerFor('operatorJwt'), serviceToken: handlerFor('serviceToken') };
}
