import type { WebhookEndpoint, WebhookEventType } from './contract-types';

/** Every event type an endpoint can subscribe to: both APIs' (the contract's enum, checked here). */
export const WEBHOOK_EVENT_TYPES = [
  'order.created',
  'order.confirmed',
  'order.canceled',
  'product.created',
  'product.updated',
  'customer.created',
  'customer.updated',
  'customer.deleted',
] as const satisfies readonly WebhookEventType[];

// Fails to compile when the contract adds a type this list lacks.
type Missing = Exclude<WebhookEventType, (typeof WEBHOOK_EVENT_TYPES)[number]>;
export const ALL_TYPES_LISTED: [Missing] extends [never] ? true : Missing = true;

/** The endpoint's state in words: enabled, or disabled with the reason when the dispatcher gave one. */
export function endpointState(endpoint: Pick<WebhookEndpoint, 'enabled' | 'disabled_reason'>): string {
  if (endpoint.enabled) return 'Enabled';
  return endpoint.disabled_reason ? `Disabled: ${endpoint.disabled_reason}` : 'Disabled';
}
