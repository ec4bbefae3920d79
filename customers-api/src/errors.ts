import { Conflict, InputError, NotFound, TooManyRequests, Unauthorized } from '@b2b/service-kit';

/** The errors of the Customers API's use cases; their statuses come from service-kit's STATUS_OF_KIND. */

/** Unknown, or soft-deleted: a deleted customer is unknown to every caller. */
export class CustomerNotFound extends NotFound {
  constructor(id: number) {
    super('CUSTOMER_NOT_FOUND', `Customer ${id} does not exist.`);
  }
}

export class EmailTaken extends Conflict {
  constructor(email: string) {
    super('EMAIL_TAKEN', `A customer with email ${email} already exists.`);
  }
}

/** One error for an unknown username and a wrong password, so neither can be told apart. */
export class InvalidCredentials extends Unauthorized {
  constructor() {
    super('The username or the password is wrong.', 'INVALID_CREDENTIALS');
  }
}

/** The log-in throttle refused the attempt (see login-throttle.ts); it was not checked. */
export class TooManyLoginAttempts extends TooManyRequests {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'TOO_MANY_LOGIN_ATTEMPTS',
      `Too many log-in attempts. Try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
    );
    this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

// Operator accounts (the `npm run operators` CLI, operator-accounts.ts); no HTTP route uses them yet.

export class OperatorNotFound extends NotFound {
  constructor(username: string) {
    super('OPERATOR_NOT_FOUND', `There is no operator named ${JSON.stringify(username)}.`);
  }
}

export class UsernameTaken extends Conflict {
  constructor(username: string) {
    super('USERNAME_TAKEN', `An operator named ${JSON.stringify(username)} already exists.`);
  }
}

/** A username or password that breaks the rules of operator-accounts.ts; the detail says which. */
export class InvalidOperatorInput extends InputError {
  constructor(detail: string) {
    super('INVALID_OPERATOR_INPUT', detail);
  }
}
