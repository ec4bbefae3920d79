// Shared by the plain reference implementation: a mysql2 pool and a keep-alive JSON client
// on node:http. No contract validation, no authentication, no request logs.
import { Agent } from 'node:http';
import { createPool, type Pool, type PoolConnection } from 'mysql2/promise';
import { httpJson, type TimedResponse } from '../lib/http';

export function connectPool(): Pool {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const pool = createPool({
    uri: url,
    connectionLimit: Number(process.env.DATABASE_POOL_SIZE ?? 10),
    supportBigNumbers: true,
    bigNumberStrings: true,
    timezone: 'Z',
  });
  // The same session settings as the real services: UTC timestamps.
  pool.pool.on('connection', (connection) => {
    connection.query("SET time_zone = '+00:00'");
  });
  return pool;
}

export function port(): number {
  return Number(process.env.PORT ?? 0);
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

/** Rows as the real APIs send them: numbers for ids and cents, ISO 8601 times. */
export function toCustomer(row: Record<string, unknown>) {
  return {
    id: Number(row.id),
    name: row.name as string,
    email: row.email as string,
    phone: row.phone as string | null,
    created_at: iso(row.created_at as Date),
    updated_at: iso(row.updated_at as Date),
  };
}

export function toProduct(row: Record<string, unknown>) {
  return {
    id: Number(row.id),
    sku: row.sku as string,
    name: row.name as string,
    price_cents: Number(row.price_cents),
    stock: Number(row.stock),
    created_at: iso(row.created_at as Date),
    updated_at: iso(row.updated_at as Date),
  };
}

export function toOrder(rows: Array<Record<string, unknown>>) {
  const first = rows[0]!;
  return {
    id: Number(first.id),
    customer_id: Number(first.customer_id),
    customer: {
      id: Number(first.customer_id),
      name: first.customer_name as string,
      email: first.customer_email as string,
      phone: first.customer_phone as string | null,
    },
    status: first.status as string,
    total_cents: Number(first.total_cents),
    created_at: iso(first.created_at as Date),
    updated_at: iso(first.updated_at as Date),
    confirmed_at: iso(first.confirmed_at as Date | null),
    canceled_at: iso(first.canceled_at as Date | null),
    items: rows.map((row) => ({
      product_id: Number(row.product_id),
      sku: row.sku as string,
      name: row.name as string,
      qty: Number(row.qty),
      unit_price_cents: Number(row.unit_price_cents),
      subtotal_cents: Number(row.subtotal_cents),
    })),
  };
}

/** Runs `work` in a transaction; retries a deadlock or lock wait timeout a few times. */
export async function transaction<T>(
  pool: Pool,
  work: (connection: PoolConnection) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const connection = await pool.getConnection();
    try {
      await connection.query('BEGIN');
      const result = await work(connection);
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      await connection.query('ROLLBACK').catch(() => undefined);
      const errno = (error as { errno?: number }).errno;
      if ((errno !== 1213 && errno !== 1205) || attempt >= 5) throw error;
    } finally {
      connection.release();
    }
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One JSON request between the reference's services, over a keep-alive pool, with a 3 s timeout. */
export function requestJson(
  url: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<TimedResponse> {
  return httpJson(url, { timeoutMs: 3000, ...options, agent });
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}
