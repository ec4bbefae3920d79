import { isDuplicateKey, type Database } from '@b2b/service-kit';
import { InvalidOperatorInput, OperatorNotFound, UsernameTaken } from '../errors';
import {
  findOperatorCredentials,
  insertOperator,
  listOperatorSummaries,
  setOperatorDisabled,
  setPasswordHash,
  type OperatorCredentials,
  type OperatorSummary,
} from './operator-repository';
import { DEFAULT_SCRYPT_COST, hashPassword, type ScryptCost } from './passwords';

/**
 * Operator accounts: create, change the password of, disable, enable and list operators
 * (the `npm run operators` CLI). Passwords are hashed by passwords.ts, as log-in checks
 * them; a disabled operator keeps its account and is refused at log-in.
 */

/** contracts/customers.yaml `TokenRequest.username` (and `operators.username` VARCHAR(100)). */
export const USERNAME_LENGTH = { min: 1, max: 100 };
/**
 * The maximum is contracts/customers.yaml `TokenRequest.password`'s: a longer password could
 * never be sent to log in. The minimum follows NIST SP 800-63B-4 §3.1.1.2 for a password
 * that is the only factor (15); operators choose it, there is no other rule on its content.
 */
export const PASSWORD_LENGTH = { min: 15, max: 200 };

/** Lengths as the contract's JSON Schema counts them: in code points, not UTF-16 units. */
const lengthOf = (text: string) => [...text].length;

/**
 * A username that can log in: the contract's length. Every command that names an operator
 * checks it, so an impossible name is a usage error, not "no such operator".
 */
export function assertUsername(username: string): void {
  const length = lengthOf(username);
  if (length < USERNAME_LENGTH.min || length > USERNAME_LENGTH.max) {
    throw new InvalidOperatorInput(
      `A username has ${USERNAME_LENGTH.min} to ${USERNAME_LENGTH.max} characters (got ${length}).`,
    );
  }
}

/**
 * A username for a new operator: one that can log in and that people can type and tell
 * apart. Usernames are compared exactly at log-in, so invisible characters or spaces at
 * either end would make an account nobody can name reliably; trailing spaces would also
 * collide with the name without them (the column's collation pads with spaces).
 */
export function assertNewUsername(username: string): void {
  assertUsername(username);
  if (/[\p{Cc}\p{Cf}]/u.test(username)) {
    throw new InvalidOperatorInput('A username may not contain control or invisible formatting characters.');
  }
  if (/^\p{White_Space}|\p{White_Space}$/u.test(username)) {
    throw new InvalidOperatorInput('A username may not begin or end with a space.');
  }
}

/** A new password: within PASSWORD_LENGTH and not the username itself. */
export function assertNewPassword(username: string, password: string): void {
  const length = lengthOf(password);
  if (length < PASSWORD_LENGTH.min) {
    throw new InvalidOperatorInput(
      `The password is too short: ${length} characters, at least ${PASSWORD_LENGTH.min} are needed.`,
    );
  }
  if (length > PASSWORD_LENGTH.max) {
    throw new InvalidOperatorInput(
      `The password is too long: ${length} characters, at most ${PASSWORD_LENGTH.max} can be sent to log in.`,
    );
  }
  if (password === username) throw new InvalidOperatorInput('The password may not be the username.');
}

/** Creates an active operator. Throws InvalidOperatorInput or UsernameTaken. */
export async function createOperator(
  db: Database,
  username: string,
  password: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<void> {
  assertNewUsername(username);
  assertNewPassword(username, password);
  const passwordHash = await hashPassword(password, cost);
  try {
    await insertOperator(db, username, passwordHash);
  } catch (error) {
    if (isDuplicateKey(error)) throw new UsernameTaken(username);
    throw error;
  }
}

/**
 * Replaces an operator's password (a disabled operator stays disabled); their tokens
 * already issued stay valid until they expire. Returns the operator's status.
 * Throws InvalidOperatorInput or OperatorNotFound.
 */
export async function changeOperatorPassword(
  db: Database,
  username: string,
  password: string,
  cost: ScryptCost = DEFAULT_SCRYPT_COST,
): Promise<{ isDisabled: boolean }> {
  assertNewPassword(username, password);
  const operator = await requireOperator(db, username);
  await setPasswordHash(db, operator.id, await hashPassword(password, cost));
  return { isDisabled: operator.isDisabled };
}

/**
 * Refuses the operator's log-ins from now on. Tokens are verified without the database
 * (service-kit/src/auth.ts, in every part), so tokens already issued stay valid until they
 * expire, at most JWT_TTL_SECONDS. `changed` is false when it was disabled already.
 */
export async function disableOperator(db: Database, username: string): Promise<{ changed: boolean }> {
  return setStatus(db, username, true);
}

/** Lets a disabled operator log in again. `changed` is false when it was active already. */
export async function enableOperator(db: Database, username: string): Promise<{ changed: boolean }> {
  return setStatus(db, username, false);
}

/** Every operator, by username. */
export async function listOperators(db: Database): Promise<OperatorSummary[]> {
  return listOperatorSummaries(db);
}

async function setStatus(db: Database, username: string, isDisabled: boolean): Promise<{ changed: boolean }> {
  const operator = await requireOperator(db, username);
  if (operator.isDisabled === isDisabled) return { changed: false };
  await setOperatorDisabled(db, operator.id, isDisabled);
  return { changed: true };
}

async function requireOperator(db: Database, username: string): Promise<OperatorCredentials> {
  assertUsername(username);
  const operator = await findOperatorCredentials(db, username);
  if (!operator) throw new OperatorNotFound(username);
  return operator;
}
