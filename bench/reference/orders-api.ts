// Reference Orders API: plain Express + mysql2, the same SQL statements, idempotency flow
// and JSON shapes as the real one (orders-api/src as of the four-statement placeOrder),
// each statement in a round trip of its own (the plain way; the real one batches them),
// without contract validation, authentication or request logs. Only what the benchmark
// calls: GET /products/{id}, POST /orders (customer checked over HTTP, optional
// X-Idempotency-Key), POST /orders/{id}/confirm (key required). Keep its statements in step
// with the Orders API's.
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { connectPool, HttpError, port, requestJson, toOrder, toProduct, transaction } from './common';
import { writeOrder } from './order-write';

const pool = connectPool();
const customersApi = process.env.CUSTOMERS_API_BASE ?? 'http://127.0.0.1:3001';
const KEY_TTL_HOURS = 24;
const CANCEL_WINDOW_MINUTES = 10;

interface OrderInput {
  customer_id: number;
  items: Array<{ product_id: number; qty: number }>;
}

interface Answer {
  status: number;
  body: string;
  replayed: boolean;
}

/** No authentication here: every key belongs to the one caller. */
const OWNER = 'service';

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

const insertKey = (scope: string, key: string, print: string) =>
  pool.query(
    `INSERT INTO idempotency_keys (scope, owner, idempotency_key, target_type, request_fingerprint, status, expires_at)
     VALUES (?, ?, ?, 'order', ?, 'IN_PROGRESS', NOW(3) + INTERVAL ? HOUR)`,
    [scope, OWNER, key, print, KEY_TTL_HOURS],
  );

const completeKey = (connection: PoolConnection, scope: string, key: string, id: number, answer: Answer) =>
  connection.query(
    `UPDATE idempotency_keys
     SET status = 'COMPLETED', target_id = ?, response_status = ?, response_body = ?
     WHERE scope = ? AND owner = ? AND idempotency_key = ? AND status = 'IN_PROGRESS'`,
    [id, answer.status, answer.body, scope, OWNER, key],
  );

const releaseKey = (scope: string, key: string) =>
  pool
    .query(
      `DELETE FROM idempotency_keys WHERE scope = ? AND owner = ? AND idempotency_key = ? AND status = 'IN_PROGRESS'`,
      [scope, OWNER, key],
    )
    .catch(() => undefined);

/** The stored answer for a key that is taken, or a 409 when it is another request's or still running. */
async function replay(scope: string, key: string, print: string): Promise<Answer> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT request_fingerprint, status, response_status, response_body
     FROM idempotency_keys WHERE scope = ? AND owner = ? AND idempotency_key = ?`,
    [scope, OWNER, key],
  );
  const row = rows[0];
  if (!row) throw new HttpError(409, 'IDEMPOTENCY_KEY_IN_PROGRESS');
  if (row.request_fingerprint !== print) throw new HttpError(409, 'IDEMPOTENCY_KEY_REUSED');
  if (row.status !== 'COMPLETED') throw new HttpError(409, 'IDEMPOTENCY_KEY_IN_PROGRESS');
  return { status: Number(row.response_status), body: row.response_body as string, replayed: true };
}

const isDuplicateKey = (error: unknown) => (error as { errno?: number }).errno === 1062;

/**
 * With a key: claim it in a statement of its own (a taken key replays or is refused), run
 * `work` (which stores its answer with the key in its transaction), release the key if it fails.
 */
async function idempotent(
  scope: string,
  key: string | undefined,
  request: unknown,
  work: (key?: { scope: string; key: string }) => Promise<Answer>,
): Promise<Answer> {
  if (key === undefined) return work();
  const print = fingerprint(request);
  try {
    await insertKey(scope, key, print);
  } catch (error) {
    if (isDuplicateKey(error)) return replay(scope, key, print);
    throw error;
  }
  try {
    return await work({ scope, key });
  } catch (error) {
    await releaseKey(scope, key);
    throw error;
  }
}

/** Customer check over HTTP, then four statements in one transaction; the answer is built from what was written. */
async function placeOrder(input: OrderInput, key?: { scope: string; key: string }): Promise<Answer> {
  const customer = await requestJson(`${customersApi}/internal/customers/${input.customer_id}`);
  if (customer.status === 404) throw new HttpError(422, 'CUSTOMER_NOT_FOUND');
  if (customer.status !== 200) throw new HttpError(502, 'CUSTOMERS_API_UNAVAILABLE');
  return transaction(pool, async (connection) => {
    const { id, name, email, phone } = customer.body as {
      id: number;
      name: string;
      email: string;
      phone: string | null;
    };
    const snapshot = { id, name, email, phone };
    const { id: orderId, body: order } = await writeOrder(connection, snapshot, input.items);
    const answer = { status: 201, body: JSON.stringify(order), replayed: false };
    if (key) await completeKey(connection, key.scope, key.key, orderId, answer);
    return answer;
  });
}

/** Locks the order with its items (and reads the clock), moves CREATED to CONFIRMED, stores the answer with the key. */
function confirmOrder(orderId: number, key: { scope: string; key: string }): Promise<Answer> {
  return transaction(pool, async (connection) => {
    const [rows] = await connection.query<RowDataPacket[]>(
      `SELECT o.id, o.customer_id, o.customer_name, o.customer_email, o.customer_phone, o.status, o.total_cents, o.created_at, o.updated_at,
              o.confirmed_at, o.canceled_at,
              i.order_id, i.product_id, i.sku, i.name, i.qty, i.unit_price_cents, i.subtotal_cents,
              o.confirmed_at > NOW(3) - INTERVAL ? MINUTE AS is_within_cancel_window,
              NOW(3) AS locked_at
       FROM orders o JOIN order_items i ON i.order_id = o.id
       WHERE o.id = ? ORDER BY i.product_id FOR UPDATE`,
      [CANCEL_WINDOW_MINUTES, orderId],
    );
    if (rows.length === 0) throw new HttpError(404, 'ORDER_NOT_FOUND');
    const order = toOrder(rows);
    if (order.status === 'CANCELED') throw new HttpError(409, 'INVALID_ORDER_STATUS');
    if (order.status === 'CREATED') {
      const lockedAt = rows[0]!.locked_at as Date;
      await connection.query(
        `UPDATE orders SET status = 'CONFIRMED', confirmed_at = ?, updated_at = ? WHERE id = ?`,
        [lockedAt, lockedAt, orderId],
      );
      order.status = 'CONFIRMED';
      order.confirmed_at = order.updated_at = lockedAt.toISOString();
    }
    const answer = { status: 200, body: JSON.stringify(order), replayed: false };
    await completeKey(connection, key.scope, key.key, orderId, answer);
    return answer;
  });
}

function send(response: Response, answer: Answer) {
  if (answer.replayed) response.set('Idempotent-Replayed', 'true');
  response.status(answer.status).type('application/json').send(answer.body);
}

const app = express();
app.use(express.json());

app.get('/health', (_request, response) => {
  response.json({ status: 'ok' });
});

app.get('/products/:id', async (request, response) => {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT * FROM products WHERE id = ?', [
    Number(request.params.id),
  ]);
  if (rows.length === 0) throw new HttpError(404, 'PRODUCT_NOT_FOUND');
  response.json(toProduct(rows[0]!));
});

app.post('/orders', async (request, response) => {
  const input = request.body as OrderInput;
  send(
    response,
    await idempotent('create_order', request.get('X-Idempotency-Key'), input, (key) =>
      placeOrder(input, key),
    ),
  );
});

app.post('/orders/:id/confirm', async (request, response) => {
  const key = request.get('X-Idempotency-Key');
  if (!key) throw new HttpError(400, 'VALIDATION_FAILED');
  const orderId = Number(request.params.id);
  const fingerprinted = { operation: 'confirmOrder', order_id: orderId };
  send(
    response,
    await idempotent('confirm_order', key, fingerprinted, (claimed) => confirmOrder(orderId, claimed!)),
  );
});

app.use((error: Error, _request: Request, response: Response, _next: NextFunction) => {
  const status = error instanceof HttpError ? error.status : 500;
  if (status === 500) console.error(error);
  response
    .status(status)
    .type('application/problem+json')
    .json({ status, code: error instanceof HttpError ? error.code : 'INTERNAL' });
});

const server = app.listen(port(), '127.0.0.1', () => {
  console.log(`reference orders-api listening on ${JSON.stringify(server.address())}`);
});
// Nothing here is measured on the way out: stop at once.
process.on('SIGTERM', () => process.exit(0));
