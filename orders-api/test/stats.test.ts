import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '@b2b/service-kit';
import { startSystem, type System } from './helpers';

let system: System;

beforeAll(async () => {
  system = await startSystem();
});

afterAll(async () => {
  await system?.stop();
});

/** An order of `qty` units at 10.00 for a new customer, placed at `createdAt` (an instant); its id. */
async function orderAt(createdAt: string, qty = 1): Promise<number> {
  const { order } = await system.createOrder({ qty });
  await system.database.db.query(
    sql`UPDATE orders SET created_at = ${new Date(createdAt)} WHERE id = ${order.id}`,
  );
  return order.id;
}

const statsPath = (path: string, query: Record<string, string>) => `${path}?${new URLSearchParams(query)}`;

async function ordersPerDay(query: Record<string, string>) {
  const response = await system.api.get(statsPath('/stats/orders-per-day', query), { token: system.token });
  expect(response.status, response.text).toBe(200);
  return response.body as {
    time_zone: string;
    from: string;
    to: string;
    days: Array<{
      date: string;
      orders: number;
      total_cents: number;
      by_status: Record<'CREATED' | 'CONFIRMED' | 'CANCELED', { orders: number; total_cents: number }>;
    }>;
  };
}

const ordersByDate = (body: Awaited<ReturnType<typeof ordersPerDay>>) =>
  Object.fromEntries(body.days.map((day) => [day.date, day.orders]));

describe('GET /stats/orders-per-day', () => {
  // Europe/Berlin leaves summer time on 2026-10-25 (03:00 CEST becomes 02:00 CET at 01:00Z: a
  // 25-hour day) and enters it on 2026-03-29 (02:00 CET becomes 03:00 CEST at 01:00Z: 23 hours).
  // Orders sit on the exact local midnights and one millisecond before them.
  beforeAll(async () => {
    await orderAt('2026-10-23T21:59:59.999Z'); // 2026-10-23 23:59:59.999 CEST
    await orderAt('2026-10-23T22:00:00.000Z', 2); // 2026-10-24 00:00 CEST
    await orderAt('2026-10-24T22:00:00.000Z'); // 2026-10-25 00:00 CEST
    await orderAt('2026-10-25T00:30:00.000Z'); // 2026-10-25 02:30 CEST
    await orderAt('2026-10-25T01:30:00.000Z'); // 2026-10-25 02:30 CET, the hour that repeats
    await orderAt('2026-10-25T22:59:59.999Z'); // 2026-10-25 23:59:59.999 CET
    await orderAt('2026-10-25T23:00:00.000Z'); // 2026-10-26 00:00 CET
    await orderAt('2026-03-28T23:00:00.000Z'); // 2026-03-29 00:00 CET
    await orderAt('2026-03-29T21:59:59.999Z'); // 2026-03-29 23:59:59.999 CEST
    await orderAt('2026-03-29T22:00:00.000Z'); // 2026-03-30 00:00 CEST
  });

  it('when the range crosses the end of summer time in Europe/Berlin, then each order counts on its local day, the 25-hour day included, and empty days are zeros', async () => {
    const body = await ordersPerDay({ from: '2026-10-22', to: '2026-10-27', time_zone: 'Europe/Berlin' });

    expect(body).toMatchObject({ time_zone: 'Europe/Berlin', from: '2026-10-22', to: '2026-10-27' });
    expect(ordersByDate(body)).toEqual({
      '2026-10-22': 0,
      '2026-10-23': 1,
      '2026-10-24': 1,
      '2026-10-25': 4,
      '2026-10-26': 1,
      '2026-10-27': 0,
    });
    expect(body.days[0]).toEqual({
      date: '2026-10-22',
      orders: 0,
      total_cents: 0,
      by_status: {
        CREATED: { orders: 0, total_cents: 0 },
        CONFIRMED: { orders: 0, total_cents: 0 },
        CANCELED: { orders: 0, total_cents: 0 },
      },
    });
    // The order of 2 units at 10.00 (createOrder's product price).
    expect(body.days[2]).toMatchObject({ date: '2026-10-24', orders: 1, total_cents: 2000 });
  });

  it('when the range crosses the start of summer time, then the 23-hour day has its orders and no more', async () => {
    const body = await ordersPerDay({ from: '2026-03-28', to: '2026-03-30', time_zone: 'Europe/Berlin' });

    expect(ordersByDate(body)).toEqual({ '2026-03-28': 0, '2026-03-29': 2, '2026-03-30': 1 });
  });

  it('when no time zone is given, then the days are UTC days', async () => {
    const body = await ordersPerDay({ from: '2026-10-23', to: '2026-10-26' });

    expect(body.time_zone).toBe('UTC');
    expect(ordersByDate(body)).toEqual({
      '2026-10-23': 2,
      '2026-10-24': 1,
      '2026-10-25': 4,
      '2026-10-26': 0,
    });
  });

  it('when orders change status, then by_status follows the status they have now and the day totals add up', async () => {
    const confirmed = await orderAt('2026-05-10T12:00:00.000Z', 3);
    const canceled = await orderAt('2026-05-10T13:00:00.000Z', 1);
    await orderAt('2026-05-10T14:00:00.000Z', 2);
    await system.api.post(`/orders/${confirmed}/confirm`, {
      token: system.token,
      headers: { 'X-Idempotency-Key': `stats-${confirmed}` },
    });
    await system.api.post(`/orders/${canceled}/cancel`, { token: system.token });

    const body = await ordersPerDay({ from: '2026-05-10', to: '2026-05-10', time_zone: 'America/New_York' });

    expect(body.days).toEqual([
      {
        date: '2026-05-10',
        orders: 3,
        total_cents: 6000,
        by_status: {
          CREATED: { orders: 1, total_cents: 2000 },
          CONFIRMED: { orders: 1, total_cents: 3000 },
          CANCELED: { orders: 1, total_cents: 1000 },
        },
      },
    ]);
  });

  it('when the range is a full leap year, then 366 days come, in order', async () => {
    const body = await ordersPerDay({ from: '2028-01-01', to: '2028-12-31', time_zone: 'Europe/Berlin' });

    expect(body.days).toHaveLength(366);
    expect(body.days.at(0)!.date).toBe('2028-01-01');
    expect(body.days.at(59)!.date).toBe('2028-02-29');
    expect(body.days.at(-1)!.date).toBe('2028-12-31');
  });

  it('when the range reaches the ends of the calendar, then 200 with zeros (no instant beyond what the column holds is sent)', async () => {
    const first = await ordersPerDay({ from: '0001-01-01', to: '0001-01-03', time_zone: 'Europe/Berlin' });
    const last = await ordersPerDay({
      from: '9999-12-30',
      to: '9999-12-31',
      time_zone: 'Pacific/Kiritimati',
    });

    expect(first.days.map((day) => [day.date, day.orders])).toEqual([
      ['0001-01-01', 0],
      ['0001-01-02', 0],
      ['0001-01-03', 0],
    ]);
    expect(last.days.map((day) => [day.date, day.orders])).toEqual([
      ['9999-12-30', 0],
      ['9999-12-31', 0],
    ]);
  });

  it.each([
    ['a date that does not exist', { from: '2026-02-29', to: '2026-03-01' }, 'query.from'],
    ['a month 13', { from: '2026-01-01', to: '2026-13-01' }, 'query.to'],
    ['a date-time instead of a date', { from: '2026-01-01T00:00:00Z', to: '2026-01-02' }, 'query.from'],
    ['from after to', { from: '2026-03-02', to: '2026-03-01' }, 'query.to'],
    ['367 days', { from: '2026-01-01', to: '2027-01-02' }, 'query.to'],
    [
      'an unknown zone',
      { from: '2026-01-01', to: '2026-01-02', time_zone: 'Mars/Olympus_Mons' },
      'query.time_zone',
    ],
    [
      'a zone that is not a name',
      { from: '2026-01-01', to: '2026-01-02', time_zone: '+01:00' },
      'query.time_zone',
    ],
    ['no from', { to: '2026-01-02' }, 'query.from'],
  ])('when the query has %s, then 400 VALIDATION_FAILED naming it', async (_case, query, field) => {
    const response = await system.api.get(statsPath('/stats/orders-per-day', query), { token: system.token });

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    for (const error of response.body.errors) expect(error.message).not.toBe('');
  });

  it('when the range is too long, then the message says how long it is and what is allowed', async () => {
    const response = await system.api.get('/stats/orders-per-day?from=2026-01-01&to=2027-01-02', {
      token: system.token,
    });

    expect(response.body.errors).toEqual([
      {
        field: 'query.to',
        message: 'the range spans 367 days; at most 366 (to at most 365 days after from)',
      },
    ]);
  });

  it.each([
    ['europe/berlin', 'Europe/Berlin'],
    ['PACIFIC/KIRITIMATI', 'Pacific/Kiritimati'],
    // An unencoded + in a query string arrives as a space.
    ['Etc/GMT 5', 'Etc/GMT+5'],
  ])('when the zone is sent as %s, then it is read and answered as %s', async (sent, canonical) => {
    const body = await ordersPerDay({ from: '2026-01-01', to: '2026-01-01', time_zone: sent });

    expect(body.time_zone).toBe(canonical);
  });

  it('when the zone is a path or an offset, then the message is the plain one, not a pattern', async () => {
    for (const zone of ['../../etc/passwd', '+01:00']) {
      const response = await system.api.get(
        statsPath('/stats/orders-per-day', { from: '2026-01-01', to: '2026-01-02', time_zone: zone }),
        { token: system.token },
      );

      expect(response.body.errors).toEqual([
        {
          field: 'query.time_zone',
          message: `${zone} is not a time zone this API knows (an IANA name such as Europe/Berlin)`,
        },
      ]);
    }
  });

  it('when the zone is unknown, then the message says what a zone looks like', async () => {
    const response = await system.api.get(
      '/stats/orders-per-day?from=2026-01-01&to=2026-01-02&time_zone=Europe/Atlantis',
      {
        token: system.token,
      },
    );

    expect(response.body.errors).toEqual([
      {
        field: 'query.time_zone',
        message: 'Europe/Atlantis is not a time zone this API knows (an IANA name such as Europe/Berlin)',
      },
    ]);
  });
});

describe('GET /stats/backlog', () => {
  // A database of its own: the backlog counts every CREATED order there is.
  let backlogSystem: System;

  /** Places an order and moves its created_at `minutesAgo` back on the database clock; its id. */
  async function orderMinutesAgo(minutesAgo: number): Promise<number> {
    const { order } = await backlogSystem.createOrder();
    await backlogSystem.database.db.query(
      sql`UPDATE orders SET created_at = NOW(3) - INTERVAL ${minutesAgo} MINUTE WHERE id = ${order.id}`,
    );
    return order.id;
  }

  beforeAll(async () => {
    backlogSystem = await startSystem({ orders: { reservationTtlMinutes: 30 } });
    await orderMinutesAgo(40); // expired 10 minutes ago, not swept yet
    await orderMinutesAgo(20); // expires in 10 minutes
    await orderMinutesAgo(1); // expires in 29 minutes
    const confirmed = await orderMinutesAgo(45);
    await backlogSystem.api.post(`/orders/${confirmed}/confirm`, {
      token: backlogSystem.token,
      headers: { 'X-Idempotency-Key': `backlog-${confirmed}` },
    });
  });

  afterAll(async () => {
    await backlogSystem?.stop();
  });

  async function backlog(api = backlogSystem.api, query = '') {
    const response = await api.get(`/stats/backlog${query}`, { token: backlogSystem.token });
    expect(response.status, response.text).toBe(200);
    return response.body;
  }

  it('when orders wait for confirmation, then they are counted with their total, the oldest, and those expiring in 15 minutes including the one past its expiry', async () => {
    const [{ oldest }] = await backlogSystem.database.db.query(
      sql`SELECT MIN(created_at) AS oldest FROM orders WHERE status = 'CREATED'`,
    );

    const body = await backlog();

    expect(body).toMatchObject({
      created: 3,
      created_total_cents: 3000,
      oldest_created_at: oldest.toISOString(),
      reservation_ttl_minutes: 30,
      expiring_within_minutes: 15,
      expiring: 2,
      next_expiry_at: new Date(oldest.getTime() + 30 * 60_000).toISOString(),
    });
    // The database's clock: the oldest was placed 40 minutes before it.
    expect(new Date(body.as_of).getTime() - oldest.getTime()).toBeGreaterThanOrEqual(40 * 60_000);
  });

  it('when the look-ahead is an hour, then every waiting reservation is expiring', async () => {
    expect(await backlog(backlogSystem.api, '?expiring_within_minutes=60')).toMatchObject({
      expiring_within_minutes: 60,
      expiring: 3,
    });
  });

  it('when the reservation TTL is 0, then nothing expires: expiring 0 and next_expiry_at null', async () => {
    const noExpiry = await backlogSystem.startOrdersApi({ reservationTtlMinutes: 0 });

    expect(await backlog(noExpiry)).toMatchObject({
      created: 3,
      reservation_ttl_minutes: 0,
      expiring: 0,
      next_expiry_at: null,
    });
  });

  it('when nothing waits, then zeros and nulls', async () => {
    // A fresh database: every other one here has CREATED orders.
    const fresh = await startSystem();
    try {
      const response = await fresh.api.get('/stats/backlog', { token: fresh.token });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        created: 0,
        created_total_cents: 0,
        oldest_created_at: null,
        expiring: 0,
        next_expiry_at: null,
      });
    } finally {
      await fresh.stop();
    }
  });

  it.each(['0', '1441', 'soon'])(
    'when expiring_within_minutes is %s, then 400 VALIDATION_FAILED naming it',
    async (value) => {
      const response = await backlogSystem.api.get(`/stats/backlog?expiring_within_minutes=${value}`, {
        token: backlogSystem.token,
      });

      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(
        'query.expiring_within_minutes',
      );
    },
  );
});
