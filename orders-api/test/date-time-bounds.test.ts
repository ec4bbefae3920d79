import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { startSystem, type System } from './helpers';

/**
 * GET /orders?from=&to= reads each bound as the exact instant it names (RFC 3339, at most
 * to the millisecond, as the database keeps it), or refuses it: an impossible date is
 * never rolled over into another day, and no bound is rounded.
 */
let system: System;
let orderId: number;
const CREATED_AT = '2026-03-02T10:20:30.456Z';

beforeAll(async () => {
  system = await startSystem();
  orderId = (await system.createOrder()).order.id;
  await system.database.db.query(
    sql`UPDATE orders SET created_at = ${new Date(CREATED_AT)} WHERE id = ${orderId}`,
  );
});

afterAll(async () => {
  await system?.stop();
});

const listIds = async (query: Record<string, string>) => {
  const response = await system.api.get(`/orders?${new URLSearchParams({ limit: '100', ...query })}`, {
    token: system.token,
  });
  expect(response.status, response.text).toBe(200);
  return response.body.data.map((order: { id: number }) => order.id);
};

describe('GET /orders date-time bounds', () => {
  it.each([
    '2026-02-31T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T23:59:60Z',
    '2026-03-01T00:00:00.1234Z',
    '2026-03-01T00:00:00+24:00',
    '2026-03-01',
    '2026-13-01T00:00:00Z',
  ])('when to=%s (no such instant, or finer than a millisecond), then 400 naming query.to', async (to) => {
    const response = await system.api.get(`/orders?${new URLSearchParams({ to })}`, { token: system.token });

    expect(response.status).toBe(400);
    expect(response.body.errors.length).toBeGreaterThan(0);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(
      response.body.errors.map(() => 'query.to'),
    );
  });

  it('when to is the impossible 2026-02-31, then the order of March 2 is not listed as if it were March 3', async () => {
    const response = await system.api.get('/orders?to=2026-02-31T00:00:00Z', { token: system.token });

    expect(response.status).toBe(400);
  });

  it('when from is the order’s instant, then it is included; one millisecond later, excluded', async () => {
    expect(await listIds({ from: CREATED_AT })).toContain(orderId);
    expect(await listIds({ from: '2026-03-02T10:20:30.457Z' })).not.toContain(orderId);
  });

  it('when to is the order’s instant, then it is excluded (to is exclusive); one millisecond later, included', async () => {
    expect(await listIds({ from: '2026-03-01T00:00:00Z', to: CREATED_AT })).not.toContain(orderId);
    expect(await listIds({ from: '2026-03-01T00:00:00Z', to: '2026-03-02T10:20:30.457Z' })).toContain(
      orderId,
    );
  });

  it('when a bound is written with an offset or fewer digits, then it is the same instant', async () => {
    expect(await listIds({ from: '2026-03-02T11:20:30.456+01:00' })).toContain(orderId);
    expect(await listIds({ from: '2026-03-02T10:20:30.4Z', to: '2026-03-02T10:20:30.46Z' })).toContain(
      orderId,
    );
    expect(await listIds({ from: '2026-03-02T10:20:30.46Z' })).not.toContain(orderId);
  });
});
