import { randomUUID } from 'node:crypto';
import { sql, type SQLQuery } from '@databases/mysql';
import { toSafeInteger, type Queryable } from './database';
import { InvalidCursor } from './errors';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  encodeCursor,
  type CursorKey,
  type CursorScope,
} from './pagination';

/**
 * An API's transactional outbox (the pattern: Richardson, Microservices Patterns, ch. 3):
 * the table its events are written to in the same transaction as the change they describe,
 * and the CloudEvents `source` of those events. docs/events.md.
 */
export interface Outbox {
  /** `orders_outbox` or `customers_outbox` (db/migrations/0007-event-outbox.sql). */
  table: string;
  /** The CloudEvents source, e.g. `/b2b/orders-api`. */
  source: string;
}

/**
 * What a change needs to write its events: its API's outbox (undefined under EVENTS=off: then
 * it writes none) and the correlation id of the request (or job) making it.
 */
export interface EventContext {
  outbox: Outbox | undefined;
  correlationId: string;
}

/**
 * An event as published and as the GET /events feed lists it: a CloudEvents 1.0 envelope in
 * its JSON format (contracts/events.yaml), `data` the aggregate after the change.
 */
export interface EventEnvelope {
  specversion: '1.0';
  /** A UUID, unique forever: the Nats-Msg-Id JetStream de-duplicates on, and what consumers de-duplicate on. */
  id: string;
  type: string;
  source: string;
  /** `<collection>/<id>`, e.g. `orders/42`. */
  subject: string;
  /** 1, 2, 3 … per subject, without gaps: a consumer orders and de-duplicates a subject's events by it. */
  subjectsequence: number;
  /** When the change committed, on the database clock (RFC 3339, UTC, milliseconds). */
  time: string;
  datacontenttype: 'application/json';
  /** The X-Correlation-Id of the request that caused the change (a background job's own id). */
  correlationid: string;
  data: unknown;
}

/**
 * The INSERT of one event into `outbox`, one more statement of the transaction making the
 * change (so it costs no round trip of its own in a batch). `subject`, `subjectSequence` and
 * `data` may be SQL expressions, for what only the database knows when the batch runs (an id
 * LAST_INSERT_ID() holds); `data` given as a value is stored as its JSON.
 */
export function insertEventStatement(
  outbox: Outbox,
  event: {
    type: string;
    subject: string | SQLQuery;
    subjectSequence: number | SQLQuery;
    /** The change's time on the database clock (a reading the transaction took). */
    time: Date;
    correlationId: string;
    data: SQLQuery | object;
  },
): SQLQuery {
  const data = sql.isSqlQuery(event.data) ? event.data : sql`${JSON.stringify(event.data)}`;
  return sql`
    INSERT INTO ${sql.ident(outbox.table)}
      (event_id, type, subject, subject_sequence, correlation_id, occurred_at, data)
    VALUES (${randomUUID()}, ${event.type}, ${event.subject}, ${event.subjectSequence},
            ${event.correlationId}, ${event.time}, ${data})
  `;
}

/**
 * The INSERT … SELECT of one event per row that `from` (a FROM … WHERE … clause) finds, its
 * attributes SQL expressions over that row: for events whose data is a row as the statement
 * before it in the transaction left it (a product's stock after an order took units), at no
 * round trip. Event ids are the server's UUID().
 */
export function insertEventsFromRowsStatement(
  outbox: Outbox,
  events: {
    type: string;
    correlationId: string;
    subject: SQLQuery;
    subjectSequence: SQLQuery;
    time: SQLQuery;
    data: SQLQuery;
    from: SQLQuery;
  },
): SQLQuery {
  return sql`
    INSERT INTO ${sql.ident(outbox.table)}
      (event_id, type, subject, subject_sequence, correlation_id, occurred_at, data)
    SELECT UUID(), ${events.type}, ${events.subject}, ${events.subjectSequence}, ${events.correlationId},
           ${events.time}, ${events.data}
    ${events.from}
  `;
}

/**
 * A DATETIME(3) column as the APIs write instants (Date#toISOString: `2026-12-06T11:40:04.123Z`);
 * connections run in UTC (time_zone '+00:00'). For JSON_OBJECT data built in SQL.
 */
export function isoInstantSql(column: SQLQuery): SQLQuery {
  return sql`CONCAT(LEFT(DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')`;
}

/** An outbox row as the relay and the feed read it. */
export interface OutboxRow {
  position: string;
  event_id: string;
  type: string;
  subject: string;
  subject_sequence: number;
  correlation_id: string;
  occurred_at: Date;
  /** JSON text on MariaDB (JSON is LONGTEXT there), parsed already on MySQL 8. */
  data: string | object;
  feed_position: string | null;
}

export const OUTBOX_COLUMNS = sql`position, event_id, type, subject, subject_sequence, correlation_id, occurred_at, data, feed_position`;

/** The envelope of an outbox row (EventEnvelope). */
export function toEnvelope(outbox: Outbox, row: OutboxRow): EventEnvelope {
  return {
    specversion: '1.0',
    id: row.event_id,
    type: row.type,
    source: outbox.source,
    subject: row.subject,
    subjectsequence: Number(row.subject_sequence),
    time: row.occurred_at.toISOString(),
    datacontenttype: 'application/json',
    correlationid: row.correlation_id,
    data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
  };
}

/**
 * The events the relay has numbered after `afterFeedPosition`, in feed order, `limit` of
 * them at most, only of `type` when given: a page of GET /events. Served by
 * uq_<outbox>_feed_position, or ix_<outbox>_type_feed_position with a type.
 */
export async function findFeedEvents(
  db: Queryable,
  outbox: Outbox,
  query: { afterFeedPosition: number; type?: string; limit: number },
): Promise<Array<{ feedPosition: number; event: EventEnvelope }>> {
  const ofType = query.type === undefined ? sql`` : sql`AND type = ${query.type}`;
  const rows = (await db.query(sql`
    SELECT ${OUTBOX_COLUMNS} FROM ${sql.ident(outbox.table)}
    WHERE feed_position > ${query.afterFeedPosition} ${ofType}
    ORDER BY feed_position
    LIMIT ${query.limit}
  `)) as OutboxRow[];
  return rows.map((row) => ({
    feedPosition: toSafeInteger(row.feed_position!),
    event: toEnvelope(outbox, row),
  }));
}

/**
 * A page of the GET /events feed of `outbox`: the events after `query.after` (a cursor of an
 * earlier page; from the oldest retained when absent), oldest first, of `query.type` only when
 * given. The feed is open-ended, so `next_cursor` is always a cursor: after the last event
 * returned, or `after` again when none is new; a consumer keeps polling with it. Cursors are
 * signed for the feed and its type filter (decodeCursor: 400 INVALID_CURSOR otherwise) and
 * hold across restarts and replicas (the same CURSOR_SECRET). `Event` is the API's event union.
 */
export async function listFeedEvents<Event extends EventEnvelope | object = EventEnvelope>(
  db: Queryable,
  outbox: Outbox,
  query: { after?: string; type?: string; limit?: number },
  cursorKey: CursorKey,
): Promise<{ data: Event[]; next_cursor: string }> {
  // The outbox is part of the list: a Customers API cursor on the Orders API's feed is refused,
  // not read as a position there (a consumer would silently skip events).
  const scope: CursorScope = {
    key: cursorKey,
    list: `listEvents:${outbox.table}`,
    filters: { type: query.type },
  };
  const [afterFeedPosition] = query.after === undefined ? [0] : decodeFeedCursor(query.after, scope);
  const events = await findFeedEvents(db, outbox, {
    afterFeedPosition,
    type: query.type,
    limit: query.limit ?? DEFAULT_PAGE_SIZE,
  });
  const last = events.at(-1)?.feedPosition ?? afterFeedPosition;
  // `Event`: the API's event types, which are all its outbox holds (written from its contract's
  // shapes; the response validation of the tests checks them).
  return { data: events.map(({ event }) => event as Event), next_cursor: encodeCursor([last], scope) };
}

/** The position an `after` cursor holds; 400 INVALID_CURSOR naming `query.after` (the contract's EventCursor) otherwise. */
function decodeFeedCursor(after: string, scope: CursorScope): readonly [number] {
  try {
    return decodeCursor(after, ['integer'], scope);
  } catch (error) {
    if (error instanceof InvalidCursor) throw new InvalidCursor('after');
    throw error;
  }
}
