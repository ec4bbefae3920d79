// Reference orchestrator: a plain node:http handler (no Lambda emulation, no ajv, no JWT)
// that does what the real one does on the happy path: create the order (the Orders API
// checks the customer) and confirm it, each with a key derived from the caller's
// idempotency_key, and answers with the same consolidated JSON document, the customer taken
// from the order.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { port, requestJson } from './common';

const ordersApi = process.env.ORDERS_API_BASE ?? 'http://127.0.0.1:3002';

interface OrchestratorRequest {
  customer_id: number;
  items: Array<{ product_id: number; qty: number }>;
  idempotency_key: string;
  correlation_id?: string;
}

interface Order {
  id: number;
  customer: { id: number; name: string; email: string; phone: string | null };
  status: string;
  total_cents: number;
  items: Array<{ product_id: number; qty: number; unit_price_cents: number; subtotal_cents: number }>;
}

function reply(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<OrchestratorRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as OrchestratorRequest;
}

async function handle(request: IncomingMessage, response: ServerResponse) {
  if (request.method !== 'POST' || request.url !== '/orchestrator/create-and-confirm-order') {
    return reply(response, 404, { success: false, code: 'NOT_FOUND' });
  }
  const input = await readBody(request);
  const correlationId = input.correlation_id ?? randomUUID();
  const headers = { 'x-correlation-id': correlationId };
  // One caller here (no authentication): the key is derived from the caller's alone.
  const derived = createHash('sha256').update(input.idempotency_key).digest('base64url');
  const created = await requestJson(`${ordersApi}/orders`, {
    method: 'POST',
    headers: { ...headers, 'x-idempotency-key': `orchestrator:${derived}:create` },
    body: { customer_id: input.customer_id, items: input.items },
  });
  if (created.status === 422) return reply(response, 404, { success: false });
  if (created.status !== 201) return reply(response, created.status === 409 ? 409 : 502, { success: false });
  const order = created.body as Order;
  const confirmed = await requestJson(`${ordersApi}/orders/${order.id}/confirm`, {
    method: 'POST',
    headers: { ...headers, 'x-idempotency-key': `orchestrator:${derived}:confirm` },
  });
  if (confirmed.status !== 200) return reply(response, 502, { success: false });
  const final = confirmed.body as Order;
  reply(response, 201, {
    success: true,
    correlationId,
    data: {
      customer: final.customer,
      order: {
        id: final.id,
        status: final.status,
        total_cents: final.total_cents,
        items: final.items.map(({ product_id, qty, unit_price_cents, subtotal_cents }) => ({
          product_id,
          qty,
          unit_price_cents,
          subtotal_cents,
        })),
      },
    },
  });
}

const server = createServer((request, response) => {
  handle(request, response).catch((error: Error) => {
    console.error(error);
    if (!response.headersSent) reply(response, 502, { success: false, message: error.message });
  });
});
server.listen(port(), '127.0.0.1', () => {
  console.log(`reference orchestrator listening on ${JSON.stringify(server.address())}`);
});
// Nothing here is measured on the way out: stop at once.
process.on('SIGTERM', () => process.exit(0));
