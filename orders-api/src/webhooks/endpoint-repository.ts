import type { components } from '@b2b/contracts/orders';
import { insertedId, sql, toSafeInteger, type Queryable } from '@b2b/service-kit';

export type WebhookEndpoint = components['schemas']['WebhookEndpoint'];
export type WebhookEventType = components['schemas']['WebhookEventType'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type WebhookAttempt = components['schemas']['WebhookAttempt'];

interface EndpointRow {
  id: string | number;
  url: string;
  description: string | null;
  event_types: string | WebhookEventType[];
  enabled: number;
  disabled_reason: string | null;
  created_at: Date;
  updated_at: Date;
  secret_rotated_at: Date | null;
  previous_secret_expires_at: Date | null;
}

interface DeliveryRow {
  id: string | number;
  endpoint_id: string | number;
  event_id: string;
  event_type: WebhookEventType;
  status: WebhookDelivery['status'];
  attempts: number;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface AttemptRow {
  delivery_id: string | number;
  attempt_number: number;
  attempted_at: Date;
  response_status: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

/** A JSON column: MySQL 8 answers it parsed, MariaDB (JSON = LONGTEXT) as text. */
const fromJson = <T>(value: string | T): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: toSafeInteger(row.id),
    url: row.url,
    description: row.description,
    event_types: fromJson(row.event_types),
    enabled: Boolean(row.enabled),
    disabled_reason: row.disabled_reason,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    secret_rotated_at: row.secret_rotated_at?.toISOString() ?? null,
    previous_secret_expires_at: row.previous_secret_expires_at?.toISOString() ?? null,
  };
}

function toAttempt(row: AttemptRow): WebhookAttempt {
  return {
    at: row.attempted_at.toISOString(),
    response_status: row.response_status,
    duration_ms: row.duration_ms,
    error: row.error,
    response_excerpt: row.response_excerpt,
  };
}

const ENDPOINT_COLUMNS = sql`id, url, description, event_types, enabled, disabled_reason, created_at,
  updated_at, secret_rotated_at, previous_secret_expires_at`;

export async function insertEndpoint(
  db: Queryable,
  endpoint: { url: string; description: string | null; eventTypes: WebhookEventType[]; secret: string },
): Promise<number> {
  return insertedId(
    await db.query(sql`
      INSERT INTO webhook_endpoints (url, description, event_types, enabled, secret, created_at, updated_at)
      VALUES (${endpoint.url}, ${endpoint.description}, ${JSON.stringify(endpoint.eventTypes)}, 1,
              ${endpoint.secret}, NOW(3), NOW(3))
    `),
  );
}

/** A webhook endpoint that is not deleted; undefined otherwise. `forUpdate` locks its row (in a transaction). */
export async function findEndpoint(
  db: Queryable,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<WebhookEndpoint | undefined> {
  const [row] = (await db.query(sql`
    SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ${id} AND deleted_at IS NULL
    ${options.forUpdate ? sql`FOR UPDATE` : sql``}
  `)) as EndpointRow[];
  return row && toEndpoint(row);
}

/** Endpoints not deleted, newest first (id descending), with an id below `beforeId` when given. */
export async function findEndpointPage(
  db: Queryable,
  query: { beforeId: number | undefined; limit: number },
): Promise<WebhookEndpoint[]> {
  const rows = (await db.query(sql`
    SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints
    WHERE deleted_at IS NULL ${query.beforeId === undefined ? sql`` : sql`AND id < ${query.beforeId}`}
    ORDER BY id DESC
    LIMIT ${query.limit}
  `)) as EndpointRow[];
  return rows.map(toEndpoint);
}

export interface EndpointChanges {
  url?: string;
  eventTypes?: WebhookEventType[];
  description?: string | null;
  enabled?: boolean;
}

/** Changes a webhook endpoint that is not deleted. Enabling clears disabled_reason. */
export async function updateEndpointFields(
  db: Queryable,
  id: number,
  changes: EndpointChanges,
): Promise<void> {
  const assignments = [sql`updated_at = NOW(3)`];
  if (changes.url !== undefined) assignments.push(sql`url = ${changes.url}`);
  if (changes.eventTypes !== undefined) {
    assignments.push(sql`event_types = ${JSON.stringify(changes.eventTypes)}`);
  }
  if (changes.description !== undefined) assignments.push(sql`description = ${changes.description}`);
  if (changes.enabled === true) assignments.push(sql`enabled = 1, disabled_reason = NULL`);
  if (changes.enabled === false) assignments.push(sql`enabled = 0`);
  await db.query(sql`
    UPDATE webhook_endpoints SET ${sql.join(assignments, sql`, `)} WHERE id = ${id} AND deleted_at IS NULL
  `);
}

/** Marks an endpoint deleted and drops its PENDING deliveries; answers whether there was one to delete. */
export async function softDeleteEndpoint(db: Queryable, id: number): Promise<boolean> {
  const result = (await db.query(sql`
    UPDATE webhook_endpoints SET deleted_at = NOW(3), updated_at = NOW(3), enabled = 0
    WHERE id = ${id} AND deleted_at IS NULL
  `)) as unknown as { affectedRows: number };
  if (result.affectedRows === 0) return false;
  await db.query(sql`
    DELETE FROM webhook_attempts
    WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = ${id} AND status = 'PENDING')
  `);
  await db.query(sql`DELETE FROM webhook_deliveries WHERE endpoint_id = ${id} AND status = 'PENDING'`);
  return true;
}

/**
 * Replaces the secret of an endpoint that is not deleted: the current one becomes the
 * previous one, signing alongside for `overlapHours`. Answers the new expiry of the previous
 * secret, or undefined when there is no such endpoint.
 */
export async function rotateEndpointSecret(
  db: Queryable,
  id: number,
  secret: string,
  overlapHours: number,
): Promise<Date | undefined> {
  const result = (await db.query(sql`
    UPDATE webhook_endpoints
    SET previous_secret = secret,
        secret = ${secret},
        previous_secret_expires_at = NOW(3) + INTERVAL ${overlapHours} HOUR,
        secret_rotated_at = NOW(3),
        updated_at = NOW(3)
    WHERE id = ${id} AND deleted_at IS NULL
  `)) as unknown as { affectedRows: number };
  if (result.affectedRows === 0) return undefined;
  const [row] = (await db.query(sql`
    SELECT previous_secret_expires_at FROM webhook_endpoints WHERE id = ${id}
  `)) as Array<{ previous_secret_expires_at: Date }>;
  return row?.previous_secret_expires_at;
}

/** The attempts of these deliveries, oldest first, by delivery id. */
async function findAttempts(db: Queryable, deliveryIds: number[]): Promise<Map<number, WebhookAttempt[]>> {
  const byDelivery = new Map<number, WebhookAttempt[]>(deliveryIds.map((id) => [id, []]));
  if (deliveryIds.length === 0) return byDelivery;
  const rows = (await db.query(sql`
    SELECT * FROM webhook_attempts
    WHERE delivery_id IN (${sql.join(
      deliveryIds.map((id) => sql`${id}`),
      sql`, `,
    )})
    ORDER BY delivery_id, attempt_number
  `)) as AttemptRow[];
  for (const row of rows) byDelivery.get(toSafeInteger(row.delivery_id))?.push(toAttempt(row));
  return byDelivery;
}

async function toDeliveries(db: Queryable, rows: DeliveryRow[]): Promise<WebhookDelivery[]> {
  const attempts = await findAttempts(
    db,
    rows.map((row) => toSafeInteger(row.id)),
  );
  return rows.map((row) => {
    const log = attempts.get(toSafeInteger(row.id)) ?? [];
    return {
      id: toSafeInteger(row.id),
      endpoint_id: toSafeInteger(row.endpoint_id),
      event_id: row.event_id,
      event_type: row.event_type,
      status: row.status,
      attempts: row.attempts,
      next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
      created_at: row.created_at.toISOString(),
      updated_at: row.updated_at.toISOString(),
      last_attempt: log.at(-1) ?? null,
      attempt_log: log,
    };
  });
}

const DELIVERY_COLUMNS = sql`id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at,
  created_at, updated_at`;

/** Deliveries of one endpoint, newest first (id descending), with an id below `beforeId` when given. */
export async function findDeliveryPage(
  db: Queryable,
  query: { endpointId: number; beforeId: number | undefined; limit: number },
): Promise<WebhookDelivery[]> {
  const rows = (await db.query(sql`
    SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
    WHERE endpoint_id = ${query.endpointId}
      ${query.beforeId === undefined ? sql`` : sql`AND id < ${query.beforeId}`}
    ORDER BY id DESC
    LIMIT ${query.limit}
  `)) as DeliveryRow[];
  return toDeliveries(db, rows);
}

export async function findDelivery(
  db: Queryable,
  endpointId: number,
  deliveryId: number,
): Promise<WebhookDelivery | undefined> {
  const rows = (await db.query(sql`
    SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ${deliveryId} AND endpoint_id = ${endpointId}
  `)) as DeliveryRow[];
  return (await toDeliveries(db, rows))[0];
}

/** Schedules a new attempt of a delivery now, whatever its status. */
export async function scheduleDeliveryNow(
  db: Queryable,
  endpointId: number,
  deliveryId: number,
): Promise<void> {
  await db.query(sql`
    UPDATE webhook_deliveries
    SET status = 'PENDING', next_attempt_at = NOW(3), locked_until = NULL, updated_at = NOW(3)
    WHERE id = ${deliveryId} AND endpoint_id = ${endpointId}
  `);
}
