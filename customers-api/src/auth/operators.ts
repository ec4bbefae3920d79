import type { components } from '@b2b/contracts/customers';
import { signOperatorToken, type AuthConfig, type Database } from '@b2b/service-kit';
import { InvalidCredentials } from '../errors';
import { findOperatorCredentials } from './operator-repository';
import { DUMMY_PASSWORD_HASH, isPasswordCorrect } from './passwords';

export type TokenRequest = components['schemas']['TokenRequest'];
export type TokenResponse = components['schemas']['TokenResponse'];

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** Logs an operator in: checks the password against its stored hash and issues a JWT. */
export async function issueOperatorToken(
  db: Database,
  auth: AuthConfig,
  credentials: TokenRequest,
  ttlSeconds: number,
): Promise<TokenResponse> {
  const operator = await findOperatorCredentials(db, credentials.username);
  // An unknown username still pays for one scrypt run, so timing does not tell it apart.
  const isCorrect = await isPasswordCorrect(
    credentials.password,
    operator?.passwordHash ?? DUMMY_PASSWORD_HASH,
  );
  if (!operator || !isCorrect) throw new InvalidCredentials();
  return {
    access_token: await signOperatorToken(auth, operator.username, ttlSeconds),
    token_type: 'Bearer',
    expires_in: ttlSeconds,
  };
}
