import {
  insertEventsFromRowsStatement,
  isoInstantSql,
  sql,
  type Outbox,
  type SQLQuery,
} from '@b2b/service-kit';

/** The Customers API's outbox (db/migrations/0007-event-outbox.sql): customer.* events. */
export const CUSTOMERS_OUTBOX: Outbox = { table: 'customers_outbox', source: '/b2b/customers-api' };

/**
 * The `type` event of the customer `id`, its data the row as the statement before it in the
 * same transaction left it: the representation of contracts/customers.yaml Customer, built by
 * the database (JSON_OBJECT), so a deletion's event says exactly when it happened. The
 * subjectsequence is the row's version, which every write of a customer increments. Only a
 * customer.deleted event is of a deleted customer: the others find none. No statement when
 * `outbox` is undefined (EVENTS=off).
 */
export function customerEventStatements(
  outbox: Outbox | undefined,
  type: 'customer.created' | 'customer.updated' | 'customer.deleted',
  id: number,
  correlationId: string,
): SQLQuery[] {
  if (!outbox) return [];
  return [
    insertEventsFromRowsStatement(outbox, {
      type,
      correlationId,
      subject: sql`CONCAT('customers/', c.id)`,
      subjectSequence: sql`c.version`,
      time: sql`c.updated_at`,
      data: sql`JSON_OBJECT(
      'id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone,
      'created_at', ${isoInstantSql(sql`c.created_at`)}, 'updated_at', ${isoInstantSql(sql`c.updated_at`)}
    )`,
      from: sql`FROM customers c WHERE c.id = ${id} ${type === 'customer.deleted' ? sql`` : sql`AND c.deleted_at IS NULL`}`,
    }),
  ];
}
