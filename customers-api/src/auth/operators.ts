import type { components } from '@b2b/contracts/customers';
import { signOperatorToken, type AuthConfig, type Database } from '@b2b/service-kit';
import { InvalidCredentials, TooManyLoginAttempts } from '../errors';
import type { CustomersMetrics } from '../metrics';
import type { LoginThrottle } from './login-throttle';
import {
  findOperatorCredentials,
  replacePasswordHash,
  type OperatorCredentials,
} from './operator-repository';
import {
  hashPassword,
  isBelowCost,
  isPasswordCorrect,
  unmatchablePasswordHash,
  type ScryptCost,
} from './passwords';

export type TokenRequest = components['schemas']['TokenRequest'];
export type TokenResponse = components['schemas']['TokenResponse'];

export interface LogIn {
  db: Database;
  auth: AuthConfig;
  throttle: LoginThrottle;
  /** The cost of new password hashes; older, cheaper ones are upgraded at log-in. */
  passwordCost: ScryptCost;
  /** Where attempts are counted by outcome. */
  metrics: Pick<CustomersMetrics, 'loginAttempts'>;
}

/**
 * Logs an operator in: the throttle admits (and counts) the attempt, the password is
 * checked against the stored hash of exactly that username, and a JWT is issued for the
 * configured TTL. Each attempt is counted by how it ended (login_attempts_total).
 */
export async function issueOperatorToken(
  logIn: LogIn,
  credentials: TokenRequest,
  clientAddress: string,
): Promise<TokenResponse> {
  const { loginAttempts } = logIn.metrics;
  try {
    const token = await logInOnce(logIn, credentials, clientAddress);
    loginAttempts.inc({ outcome: 'succeeded' });
    return token;
  } catch (error) {
    if (error instanceof TooManyLoginAttempts) loginAttempts.inc({ outcome: 'throttled' });
    if (error instanceof InvalidCredentials) loginAttempts.inc({ outcome: 'invalid_credentials' });
    throw error;
  }
}

async function logInOnce(
  { db, auth, throttle, passwordCost }: LogIn,
  credentials: TokenRequest,
  clientAddress: string,
): Promise<TokenResponse> {
  const attempt = await throttle.admit(credentials.username, clientAddress);
  const operator = await checkCredentials(db, credentials, passwordCost).finally(attempt.finished);
  await attempt.succeeded();
  if (isBelowCost(operator.passwordHash, passwordCost)) {
    const upgraded = await hashPassword(credentials.password, passwordCost);
    await replacePasswordHash(db, operator.username, operator.passwordHash, upgraded);
  }
  return {
    access_token: await signOperatorToken(auth, operator.username),
    token_type: 'Bearer',
    expires_in: auth.tokenTtlSeconds,
  };
}

/** The active operator with exactly this username and password; InvalidCredentials otherwise. */
async function checkCredentials(
  db: Database,
  credentials: TokenRequest,
  passwordCost: ScryptCost,
): Promise<OperatorCredentials> {
  const operator = await findOperatorCredentials(db, credentials.username);
  // An unknown username still pays for one scrypt run, so timing does not tell it apart.
  const isCorrect = await isPasswordCorrect(
    credentials.password,
    operator?.passwordHash ?? unmatchablePasswordHash(passwordCost),
  );
  // A disabled operator is refused like a wrong password, so the answer does not tell
  // whether the account exists (its tokens already issued live until they expire).
  if (!operator || !isCorrect || operator.isDisabled) throw new InvalidCredentials();
  return operator;
}
