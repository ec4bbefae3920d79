import { Webhook } from 'standardwebhooks';

/** The Standard Webhooks headers of one delivery attempt. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs `payload` (the exact body sent) with each secret (whsec_…, the current one first, then,
 * during a rotation overlap, the previous one): `webhook-signature` holds one `v1,<base64>` per
 * secret, space-separated, so a receiver that knows either secret verifies the delivery.
 */
export function signWebhook(
  secrets: string[],
  webhookId: string,
  timestamp: Date,
  payload: string,
): WebhookHeaders {
  if (secrets.length === 0) throw new Error('signWebhook: no secret');
  const signatures = secrets.map((secret) => new Webhook(secret).sign(webhookId, timestamp, payload));
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
