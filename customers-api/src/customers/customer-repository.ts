import type { components } from '@b2b/contracts/customers';
import {
  containsPattern,
  insertedId,
  sql,
  toSafeInteger,
  type Queryable,
  type SQLQuery,
} from '@b2b/service-kit';

export type Customer = components['schemas']['Customer'];
export type CustomerCreate = components['schemas']['CustomerCreate'];
export type CustomerUpdate = components['schemas']['CustomerUpdate'];

interface CustomerRow {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  created_at: Date;
  updated_at: Date;
}

const CUSTOMER_COLUMNS = sql`id, name, email, phone, created_at, updated_at`;

function toCustomer(row: CustomerRow): Customer {
  return {
    id: toSafeInteger(row.id),
    name: row.name,
    email: row.email,
    phone: row.phone,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/**
 * Inserts a customer and returns its id. Fails with errno 1062 when an active customer
 * already has this email (case-insensitively).
 */
export async function insertCustomer(db: Queryable, customer: CustomerCreate): Promise<number> {
  return insertedId(
    await db.query(sql`
      INSERT INTO customers (name, email, phone)
      VALUES (${customer.name}, ${customer.email}, ${customer.phone ?? null})
    `),
  );
}

export async function findActiveCustomer(db: Queryable, id: number): Promise<Customer | undefined> {
  const [row] = (await db.query(
    sql`SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE id = ${id} AND deleted_at IS NULL`,
  )) as CustomerRow[];
  return row && toCustomer(row);
}

/** Locks the customer's row until the transaction ends; false when there is no active customer. */
export async function lockActiveCustomer(db: Queryable, id: number): Promise<boolean> {
  const rows = await db.query(
    sql`SELECT id FROM customers WHERE id = ${id} AND deleted_at IS NULL FOR UPDATE`,
  );
  return rows.length > 0;
}

/** Fails with errno 1062 when another active customer has the new email. */
export async function replaceCustomerFields(
  db: Queryable,
  id: number,
  customer: CustomerUpdate,
): Promise<void> {
  await db.query(sql`
    UPDATE customers
    SET name = ${customer.name},
        email = ${customer.email},
        phone = ${customer.phone ?? null},
        updated_at = CURRENT_TIMESTAMP(3),
        version = version + 1
    WHERE id = ${id} AND deleted_at IS NULL
  `);
}

/** Soft delete: the generated active_email becomes NULL, which frees the email. */
export async function markCustomerDeleted(db: Queryable, id: number): Promise<void> {
  await db.query(sql`
    UPDATE customers
    SET deleted_at = CURRENT_TIMESTAMP(3), updated_at = CURRENT_TIMESTAMP(3), version = version + 1
    WHERE id = ${id} AND deleted_at IS NULL
  `);
}

/** Active customers, newest (highest id) first, below `beforeId` when given. */
export async function findCustomerPage(
  db: Queryable,
  query: { search?: string; beforeId?: number; limit: number },
): Promise<Customer[]> {
  const conditions: SQLQuery[] = [sql`deleted_at IS NULL`];
  if (query.beforeId !== undefined) conditions.push(sql`id < ${query.beforeId}`);
  if (query.search !== undefined) {
    const pattern = containsPattern(query.search);
    conditions.push(sql`(name LIKE ${pattern} ESCAPE '!' OR email LIKE ${pattern} ESCAPE '!')`);
  }
  const rows = (await db.query(sql`
    SELECT ${CUSTOMER_COLUMNS} FROM customers
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY id DESC
    LIMIT ${query.limit}
  `)) as CustomerRow[];
  return rows.map(toCustomer);
}
