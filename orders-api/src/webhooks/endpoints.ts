import { randomBytes } from 'node:crypto';
import type { components } from '@b2b/contracts/orders';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  toPage,
  transactionWithRetry,
  type CursorKey,
  type CursorScope,
  type Database,
} from '@b2b/service-kit';
import { InvalidWebhookUrl, WebhookDeliveryNotFound, WebhookEndpointNotFound } from '../errors';
import {
  findDelivery,
  findDeliveryPage,
  findEndpoint,
  findEndpointPage,
  insertEndpoint,
  rotateEndpointSecret,
  scheduleDeliveryNow,
  softDeleteEndpoint,
  updateEndpointFields,
  type WebhookDelivery,
  type WebhookEndpoint,
} from './endpoint-repository';
import { checkWebhookUrl, WebhookUrlRefused, type LookupFunction } from './url-policy';

export type WebhookEndpointCreate = components['schemas']['WebhookEndpointCreate'];
export type WebhookEndpointUpdate = components['schemas']['WebhookEndpointUpdate'];
export type WebhookEndpointCreated = components['schemas']['WebhookEndpointCreated'];
export type WebhookSecretRotation = components['schemas']['WebhookSecretRotation'];

export interface WebhookEndpointsContext {
  db: Database;
  cursorKey: CursorKey;
  /** WEBHOOK_ALLOWED_HOSTS: hosts that may use http and private addresses (development). */
  allowedHosts: string[];
  /** WEBHOOK_SECRET_OVERLAP_HOURS: how long a rotated-out secret still signs. */
  secretOverlapHours: number;
  /** How host names resolve (tests pass their own; DNS by default). */
  lookup?: LookupFunction;
}

/** A signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The SSRF rules of registration (url-policy.ts): a refused URL is 400 INVALID_WEBHOOK_URL naming the rule. */
async function checkUrl(context: WebhookEndpointsContext, url: string): Promise<void> {
  try {
    await checkWebhookUrl(url, { allowedHosts: context.allowedHosts, lookup: context.lookup });
  } catch (error) {
    if (error instanceof WebhookUrlRefused) throw new InvalidWebhookUrl(error.rule, error.message);
    throw error;
  }
}

export async function createWebhookEndpoint(
  context: WebhookEndpointsContext,
  input: WebhookEndpointCreate,
): Promise<WebhookEndpointCreated> {
  await checkUrl(context, input.url);
  const secret = newWebhookSecret();
  const endpoint = await transactionWithRetry(context.db, async (tx) => {
    const id = await insertEndpoint(tx, {
      url: input.url,
      description: input.description ?? null,
      eventTypes: input.event_types,
      secret,
    });
    return findEndpoint(tx, id);
  });
  if (!endpoint) throw new Error('A webhook endpoint vanished right after it was created');
  return { ...endpoint, secret };
}

export async function getWebhookEndpoint(db: Database, id: number): Promise<WebhookEndpoint> {
  const endpoint = await findEndpoint(db, id);
  if (!endpoint) throw new WebhookEndpointNotFound(id);
  return endpoint;
}

const endpointListScope = (key: CursorKey): CursorScope => ({
  key,
  list: 'listWebhookEndpoints',
  filters: {},
});

export async function listWebhookEndpoints(
  db: Database,
  query: { cursor?: string; limit?: number },
  cursorKey: CursorKey,
): Promise<{ data: WebhookEndpoint[]; next_cursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const scope = endpointListScope(cursorKey);
  const beforeId = query.cursor ? decodeCursor(query.cursor, ['integer'], scope)[0] : undefined;
  const endpoints = await findEndpointPage(db, { beforeId, limit: limit + 1 });
  return toPage(
    endpoints,
    limit,
    (endpoint) => endpoint,
    (endpoint) => [endpoint.id],
    scope,
  );
}

export async function updateWebhookEndpoint(
  context: WebhookEndpointsContext,
  id: number,
  changes: WebhookEndpointUpdate,
): Promise<WebhookEndpoint> {
  // A 404 before the URL check: the endpoint is what the path names.
  const before = await findEndpoint(context.db, id);
  if (!before) throw new WebhookEndpointNotFound(id);
  if (changes.url !== undefined && changes.url !== before.url) await checkUrl(context, changes.url);
  const endpoint = await transactionWithRetry(context.db, async (tx) => {
    if (!(await findEndpoint(tx, id, { forUpdate: true }))) return undefined;
    await updateEndpointFields(tx, id, {
      url: changes.url,
      eventTypes: changes.event_types,
      description: changes.description,
      enabled: changes.enabled,
    });
    return findEndpoint(tx, id);
  });
  if (!endpoint) throw new WebhookEndpointNotFound(id);
  return endpoint;
}

/** Soft delete: the endpoint is gone for the API and the dispatcher, its PENDING deliveries dropped. */
export async function deleteWebhookEndpoint(db: Database, id: number): Promise<void> {
  const deleted = await transactionWithRetry(db, (tx) => softDeleteEndpoint(tx, id));
  if (!deleted) throw new WebhookEndpointNotFound(id);
}

export async function rotateWebhookSecret(
  context: WebhookEndpointsContext,
  id: number,
): Promise<WebhookSecretRotation> {
  const secret = newWebhookSecret();
  const expiresAt = await transactionWithRetry(context.db, (tx) =>
    rotateEndpointSecret(tx, id, secret, context.secretOverlapHours),
  );
  if (!expiresAt) throw new WebhookEndpointNotFound(id);
  return { secret, previous_secret_expires_at: expiresAt.toISOString() };
}

/** The deliveries of one endpoint: its own list, so a cursor is bound to the endpoint. */
const deliveryListScope = (key: CursorKey, endpointId: number): CursorScope => ({
  key,
  list: 'listWebhookDeliveries',
  filters: { endpoint: String(endpointId) },
});

export async function listWebhookDeliveries(
  db: Database,
  endpointId: number,
  query: { cursor?: string; limit?: number },
  cursorKey: CursorKey,
): Promise<{ data: WebhookDelivery[]; next_cursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const scope = deliveryListScope(cursorKey, endpointId);
  const beforeId = query.cursor ? decodeCursor(query.cursor, ['integer'], scope)[0] : undefined;
  if (!(await findEndpoint(db, endpointId))) throw new WebhookEndpointNotFound(endpointId);
  const deliveries = await findDeliveryPage(db, { endpointId, beforeId, limit: limit + 1 });
  return toPage(
    deliveries,
    limit,
    (delivery) => delivery,
    (delivery) => [delivery.id],
    scope,
  );
}

/** A new attempt now, whatever the delivery's status; the dispatcher makes it (202). */
export async function retryWebhookDelivery(
  db: Database,
  endpointId: number,
  deliveryId: number,
): Promise<WebhookDelivery> {
  const delivery = await transactionWithRetry(db, async (tx) => {
    if (!(await findEndpoint(tx, endpointId, { forUpdate: true }))) {
      throw new WebhookEndpointNotFound(endpointId);
    }
    if (!(await findDelivery(tx, endpointId, deliveryId))) return undefined;
    await scheduleDeliveryNow(tx, endpointId, deliveryId);
    return findDelivery(tx, endpointId, deliveryId);
  });
  if (!delivery) throw new WebhookDeliveryNotFound(endpointId, deliveryId);
  return delivery;
}
