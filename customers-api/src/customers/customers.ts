import type { components } from '@b2b/contracts/customers';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  isDuplicateKey,
  toPage,
  transactionWithRetry,
  type CursorKey,
  type CursorScope,
  type Database,
  type EventContext,
  type Queryable,
} from '@b2b/service-kit';
import { CustomerNotFound, EmailTaken } from '../errors';
import { customerEventStatements } from '../events';
import {
  findActiveCustomer,
  findCustomerPage,
  insertCustomer,
  lockActiveCustomer,
  markCustomerDeleted,
  replaceCustomerFields,
  type Customer,
  type CustomerCreate,
  type CustomerUpdate,
} from './customer-repository';

export type CustomerPage = components['schemas']['CustomerPage'];

/**
 * The unique key on the active email decides, not a prior SELECT: two requests racing
 * for one email cannot both pass a check, but only one of them can insert.
 */
async function rejectingTakenEmail<T>(email: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isDuplicateKey(error)) throw new EmailTaken(email);
    throw error;
  }
}

export async function createCustomer(
  db: Database,
  input: CustomerCreate,
  events: EventContext,
): Promise<Customer> {
  const customer = await rejectingTakenEmail(input.email, () =>
    transactionWithRetry(db, async (tx) => {
      const id = await insertCustomer(tx, input);
      await tx.query(customerEventStatements(events.outbox, 'customer.created', id, events.correlationId));
      return findActiveCustomer(tx, id);
    }),
  );
  if (!customer) throw new Error('The customer just inserted could not be read back');
  return customer;
}

/** A customer that is not deleted; CustomerNotFound otherwise. */
export async function getCustomer(db: Queryable, id: number): Promise<Customer> {
  const customer = await findActiveCustomer(db, id);
  if (!customer) throw new CustomerNotFound(id);
  return customer;
}

export async function replaceCustomer(
  db: Database,
  id: number,
  input: CustomerUpdate,
  events: EventContext,
): Promise<Customer> {
  // One transaction, so the customer returned is the one this update wrote, and its event is
  // committed with it (none for a deleted customer, which the update does not touch).
  const customer = await rejectingTakenEmail(input.email, () =>
    transactionWithRetry(db, async (tx) => {
      await replaceCustomerFields(tx, id, input);
      await tx.query(customerEventStatements(events.outbox, 'customer.updated', id, events.correlationId));
      return findActiveCustomer(tx, id);
    }),
  );
  if (!customer) throw new CustomerNotFound(id);
  return customer;
}

export async function deleteCustomer(db: Database, id: number, events: EventContext): Promise<void> {
  // The row lock makes the second of two concurrent deletes see the customer gone (404).
  await transactionWithRetry(db, async (tx) => {
    if (!(await lockActiveCustomer(tx, id))) throw new CustomerNotFound(id);
    await markCustomerDeleted(tx, id);
    await tx.query(customerEventStatements(events.outbox, 'customer.deleted', id, events.correlationId));
  });
}

/** The list of customers a cursor belongs to: GET /customers with this search. */
const customerListScope = (key: CursorKey, search: string | undefined): CursorScope => ({
  key,
  list: 'listCustomers',
  filters: { search },
});

export async function listCustomers(
  db: Database,
  query: { search?: string; cursor?: string; limit?: number },
  cursorKey: CursorKey,
): Promise<CustomerPage> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const scope = customerListScope(cursorKey, query.search);
  const beforeId = query.cursor ? decodeCursor(query.cursor, ['integer'], scope)[0] : undefined;
  // One row more than the page tells whether another page follows.
  const customers = await findCustomerPage(db, { search: query.search, beforeId, limit: limit + 1 });
  return toPage(
    customers,
    limit,
    (customer) => customer,
    (customer) => [customer.id],
    scope,
  );
}
