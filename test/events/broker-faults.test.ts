import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateEvent } from '@b2b/contracts/events';
import { sql, type EventRelay } from '@b2b/service-kit';
import {
  natsServerBinary,
  NO_NATS_SERVER,
  pollUntil,
  startNatsServer,
  type HttpClient,
  type NatsServer,
} from '@b2b/service-kit/testing';
import { startApiProcess } from '../faults/support/api-processes';
import {
  connectTestClient,
  countBy,
  gaplessSequences,
  inParallel,
  readStream,
  sequencesBySubject,
  startEventsSystem,
  streamMessageCount,
  type EventsSystem,
  type OutboxState,
  type StreamMessage,
} from './support/harness';

/**
 * The event relay (service-kit/src/event-relay.ts) against real faults: a private NATS
 * JetStream server this file stops and starts, relays racing for one outbox, a relay process
 * killed between publishing and marking, and the GET /events feed against the stream. Real
 * MariaDB, real HTTP (both APIs in-process), a stream of each test's own.
 */
const hasBinary = natsServerBinary() !== undefined;
if (!hasBinary) console.warn(`broker-faults.test.ts skipped: ${NO_NATS_SERVER}`);

describe.skipIf(!hasBinary)('the event relay against broker faults (a private NATS JetStream)', () => {
  let nats: NatsServer;
  let client: NatsConnection;
  let system: EventsSystem | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    client = await connectTestClient(nats);
  });

  afterEach(async () => {
    await system?.stop();
    system = undefined;
    // A test that failed with the server stopped leaves it stopped for the next one.
    await nats.start();
  });

  afterAll(async () => {
    await system?.stop();
    await client?.close().catch(() => undefined);
    await nats?.destroy();
  });

  /** Polls until every outbox row is published and the stream holds exactly one message per row. */
  async function untilAllPublished(current: EventsSystem, timeoutMs: number): Promise<OutboxState[]> {
    let seen = '';
    return pollUntil(
      'every outbox event published and in the stream',
      async () => {
        const rows = await current.outbox();
        const inStream = await streamMessageCount(client, current.broker.stream);
        const unpublished = rows.filter((row) => !row.isPublished).length;
        seen = `outbox ${rows.length} rows, ${unpublished} unpublished; stream ${inStream ?? 'unreachable'}`;
        return unpublished === 0 && inStream === rows.length ? rows : undefined;
      },
      { timeoutMs, intervalMs: 100, lastSeen: () => seen },
    );
  }

  /**
   * What must hold of any stream this relay wrote: one message per outbox event (Nats-Msg-Id =
   * the envelope id, none twice), on `<prefix>.<type>`, each valid against the events
   * contract, each subject's sequence 1 … n in stream order.
   */
  function expectStreamMatchesOutbox(messages: StreamMessage[], rows: OutboxState[], subjectPrefix: string) {
    expect(messages.map((message) => message.msgId)).toEqual(messages.map((message) => message.event.id));
    expect(new Set(messages.map((message) => message.msgId)).size).toBe(messages.length);
    expect(messages.map((message) => message.event.id).sort()).toEqual(rows.map((row) => row.eventId).sort());
    const misfiled = messages.filter(
      (message) => message.subject !== `${subjectPrefix}.${message.event.type}`,
    );
    expect(misfiled).toEqual([]);
    const invalid = messages
      .map((message) => ({ id: message.event.id, result: validateEvent(message.event) }))
      .filter(({ result }) => !result.valid);
    expect(invalid).toEqual([]);
    const sequences = sequencesBySubject(messages.map((message) => message.event));
    expect(sequences).toEqual(gaplessSequences(sequences));
  }

  const idempotent = () => ({ 'X-Idempotency-Key': randomUUID() });

  const untilConnected = (relay: EventRelay) =>
    pollUntil('the relay connected to NATS', async () => relay.state().broker === 'connected' || undefined, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });

  it('when 200 orders arrive while NATS is stopped, then every one answers 201 with /health 200 and events degraded, and once NATS is back the stream holds every event once, each subject in order', async () => {
    const ORDERS = 200;
    const PRODUCTS = 8;
    system = await startEventsSystem(nats);
    const { token, broker } = system;
    const { relay } = system.startRelay({ idleMs: 20 });
    const { api } = await system.startOrdersApi({ eventRelay: relay });
    await untilConnected(relay);
    const productIds = await inParallel(PRODUCTS, 4, () => system!.createProduct(api, 100_000));
    const customerIds = await inParallel(10, 4, () => system!.createCustomer());
    await untilAllPublished(system, 10_000);

    await nats.stop();
    const health = () => api.get('/health');
    const degraded = await pollUntil(
      '/health saying events degraded',
      async () => {
        const response = await health();
        return response.body?.checks?.events === 'degraded' ? response : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'ok', checks: { database: 'up', events: 'degraded' } });
    expect(degraded.body.events.broker).toBe('unreachable');

    const startedAt = performance.now();
    const outcomes = await inParallel(ORDERS, 16, async (index) => {
      const first = index % PRODUCTS;
      const second = (index * 3 + 1) % PRODUCTS;
      const items = [{ product_id: productIds[first]!, qty: 1 + (index % 3) }];
      if (second !== first) items.push({ product_id: productIds[second]!, qty: 1 });
      const response = await api.post('/orders', {
        token,
        headers: idempotent(),
        body: { customer_id: customerIds[index % customerIds.length], items },
      });
      // /health while the orders go in, every 20th order.
      const probe = index % 20 === 0 ? await health() : undefined;
      return {
        status: response.status,
        problem: response.status === 201 ? undefined : response.text,
        lines: items.length,
        health: probe && { status: probe.status, events: probe.body?.checks?.events },
      };
    });
    const loadMs = Math.round(performance.now() - startedAt);
    const firstProblem = outcomes.find((outcome) => outcome.problem)?.problem;
    expect(
      countBy(outcomes, (outcome) => outcome.status),
      firstProblem,
    ).toEqual({ 201: ORDERS });
    const probes = outcomes.flatMap((outcome) => (outcome.health ? [outcome.health] : []));
    expect(probes).toEqual(Array(ORDERS / 20).fill({ status: 200, events: 'degraded' }));

    // Nothing reached the broker; the relay still numbers the events for the feed.
    const waiting = await pollUntil(
      'every event numbered for the feed while NATS is down',
      async () => {
        const rows = await system!.outbox();
        return rows.every((row) => row.feedPosition !== null) ? rows : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const types = countBy(waiting, (row) => row.type);
    // One order.created per order, one product.updated per product of each order.
    expect(types).toEqual({
      'product.created': PRODUCTS,
      'order.created': ORDERS,
      'product.updated': outcomes.reduce((sum, outcome) => sum + outcome.lines, 0),
    });
    expect(waiting.filter((row) => row.type !== 'product.created' && row.isPublished)).toEqual([]);
    expect((await health()).body).toMatchObject({ status: 'ok', checks: { events: 'degraded' } });

    const restartedAt = performance.now();
    await nats.start();
    const rows = await untilAllPublished(system, 30_000);
    const drainMs = Math.round(performance.now() - restartedAt);
    const messages = await readStream(client, broker.stream);
    expect(messages).toHaveLength(rows.length);
    expect(countBy(messages, (message) => message.event.type)).toEqual(types);
    expectStreamMatchesOutbox(messages, rows, broker.subjectPrefix);
    // Every order and every product has its events in the stream.
    const subjects = new Set(messages.map((message) => message.event.subject));
    expect(subjects.size).toBe(ORDERS + PRODUCTS);
    // Published in feed order: one relay, one order.
    const byFeed = [...rows].sort((a, b) => a.feedPosition! - b.feedPosition!).map((row) => row.eventId);
    expect(messages.map((message) => message.event.id)).toEqual(byFeed);
    await pollUntil(
      '/health saying events ok again',
      async () => ((await health()).body?.checks?.events === 'ok' ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    console.info(
      'NATS outage:',
      JSON.stringify({ orders: ORDERS, loadMs, events: rows.length, types, drainAfterRestartMs: drainMs }),
    );
  }, 75_000);

  it('when NATS is killed (SIGKILL) while the relay drains a backlog, then once it is back the stream holds every event once, each subject in order', async () => {
    system = await startEventsSystem(nats);
    const { token, broker } = system;
    // One batch for the whole backlog: the kill lands while the server stores it.
    const { relay, failures } = system.startRelay({ idleMs: 20, batchSize: 300 });
    const { api } = await system.startOrdersApi({ eventRelay: relay });
    await untilConnected(relay);
    const productIds = await inParallel(6, 3, () => system!.createProduct(api, 100_000));
    const customerId = await system.createCustomer();
    const setup = (await untilAllPublished(system, 10_000)).length;

    // The trigger: the test hears each message the server takes (a plain subscription to the
    // stream's subjects, kept across reconnects) and kills the server on the first of the
    // backlog, while the rest of the relay's batch is still on its way in: some of the batch
    // is stored and acknowledged, the rest lost with the server or never acknowledged.
    let heard = 0;
    let killing: Promise<void> | undefined;
    const subscription = client.subscribe(`${broker.subjectPrefix}.>`, {
      callback: () => {
        if (++heard === 1) killing = nats.kill();
      },
    });
    await client.flush();

    await nats.stop();
    await pollUntil(
      'the relay seeing NATS gone',
      async () => relay.state().broker === 'unreachable' || undefined,
      {
        timeoutMs: 10_000,
        intervalMs: 20,
      },
    );
    const statuses = await inParallel(100, 10, async (index) => {
      const response = await api.post('/orders', {
        token,
        headers: idempotent(),
        body: {
          customer_id: customerId,
          items: [
            { product_id: productIds[index % 6]!, qty: 1 },
            { product_id: productIds[(index + 1) % 6]!, qty: 1 },
          ],
        },
      });
      return response.status;
    });
    expect(countBy(statuses, (status) => status)).toEqual({ 201: 100 });
    const backlog = (await system.outbox()).length - setup;
    expect(backlog).toBe(300);

    await nats.start();
    await pollUntil('the server killed while the backlog drains', async () => (killing ? true : undefined), {
      timeoutMs: 15_000,
      lastSeen: () =>
        `heard ${heard}; test client ${client.isClosed() ? 'closed' : 'open'} ${JSON.stringify(client.stats())}`,
    });
    await killing;
    const heardWhenKilled = heard;
    subscription.unsubscribe();
    await nats.start();
    const rows = await untilAllPublished(system, 30_000);
    const messages = await readStream(client, broker.stream);
    expect(messages).toHaveLength(setup + backlog);
    expectStreamMatchesOutbox(messages, rows, broker.subjectPrefix);
    console.info(
      'NATS killed while draining:',
      JSON.stringify({ backlog, heardWhenKilled, relayPublishFailures: await failures() }),
    );
  }, 60_000);

  it('when NATS comes back with an empty store (the stream gone), then the relay creates the stream again and publishes what waits', async () => {
    system = await startEventsSystem(nats);
    const { token, broker } = system;
    const { relay } = system.startRelay({ idleMs: 20 });
    const { api } = await system.startOrdersApi({ eventRelay: relay });
    const productId = await system.createProduct(api, 1_000);
    const customerId = await system.createCustomer();
    await untilAllPublished(system, 10_000);

    // A broker replaced by one without its data: the same address, JetStream's store wiped.
    await nats.stop();
    await rm(path.join(nats.storeDirectory, 'jetstream'), { recursive: true, force: true });
    await nats.start();
    const order = await api.post('/orders', {
      token,
      headers: idempotent(),
      body: { customer_id: customerId, items: [{ product_id: productId, qty: 2 }] },
    });
    expect(order.status).toBe(201);

    let seen = '';
    const rows = await pollUntil(
      'the events of the order published into a stream created again',
      async () => {
        const all = await system!.outbox();
        const inStream = await streamMessageCount(client, broker.stream);
        seen = `unpublished ${all.filter((row) => !row.isPublished).length}; stream ${inStream}; relay ${JSON.stringify(relay.state())}`;
        return all.every((row) => row.isPublished) && inStream === 2 ? all : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, lastSeen: () => seen },
    );
    const messages = await readStream(client, broker.stream);
    expect(messages.map((message) => message.event.type)).toEqual(['order.created', 'product.updated']);
    expect(messages.map((message) => message.event.id)).toEqual(rows.slice(-2).map((row) => row.eventId));
  }, 45_000);

  it('when two relays with pools of their own run at once on one outbox under a stream of changes, then each event is published once, in feed order, and every row ends published', async () => {
    system = await startEventsSystem(nats);
    const { token, broker } = system;
    const { api } = await system.startOrdersApi();
    const productIds = await inParallel(5, 5, () => system!.createProduct(api, 100_000));
    const customerIds = await inParallel(5, 5, () => system!.createCustomer());
    const relays = [
      system.startRelay({ ownPool: true, idleMs: 5 }),
      system.startRelay({ ownPool: true, idleMs: 5 }),
    ];

    // Orders (a third of them canceled at once) and product edits, while both relays run.
    const statuses = await inParallel(80, 8, async (index) => {
      if (index % 10 === 9) {
        const response = await api.patch(`/products/${productIds[index % 5]}`, {
          token,
          body: { price_cents: 1000 + index },
        });
        return [response.status];
      }
      const response = await api.post('/orders', {
        token,
        headers: idempotent(),
        body: {
          customer_id: customerIds[index % 5],
          items: [
            { product_id: productIds[index % 5]!, qty: 1 },
            { product_id: productIds[(index + 2) % 5]!, qty: 2 },
          ],
        },
      });
      if (response.status !== 201 || index % 3 !== 0) return [response.status];
      const canceled = await api.post(`/orders/${response.body.id}/cancel`, { token });
      return [response.status, canceled.status];
    });
    expect(countBy(statuses.flat(), (status) => status)).toEqual({ 200: 8 + 24, 201: 72 });

    const rows = await untilAllPublished(system, 30_000);
    const published = await Promise.all(relays.map((relay) => relay.published()));
    await Promise.all(relays.map((relay) => relay.stop()));
    const messages = await readStream(client, broker.stream);
    expect(messages).toHaveLength(rows.length);
    expectStreamMatchesOutbox(messages, rows, broker.subjectPrefix);
    // One relay at a time: the feed is numbered 1 … n without a gap, the stream in that order,
    // and no event was published by both (acknowledged duplicates would count twice here).
    const feedPositions = rows.map((row) => row.feedPosition!).sort((a, b) => a - b);
    expect(feedPositions).toEqual(Array.from({ length: rows.length }, (_, index) => index + 1));
    const byFeed = [...rows].sort((a, b) => a.feedPosition! - b.feedPosition!).map((row) => row.eventId);
    expect(messages.map((message) => message.event.id)).toEqual(byFeed);
    expect(published[0]! + published[1]!).toBe(rows.length);
    console.info('two relays:', JSON.stringify({ events: rows.length, publishedByEach: published }));
  }, 45_000);

  /**
   * The fault: the Orders API as a real process (its relay started by server.ts) is SIGKILLed
   * while its relay has published a batch and waits to mark it. It is made to wait by the
   * test holding the rows' locks (SELECT … FOR UPDATE in an open transaction): the relay reads
   * the rows without locking (READ COMMITTED), publishes them, and its marking UPDATE blocks.
   * Killing the process is the real fault: its database connection dies with it, so MariaDB
   * rolls its transaction back (nothing marked, the feed numbering undone), and its NATS
   * connection dies too. Killing only its database connection (KILL <id>) would leave a
   * relay alive that tries again at once.
   */
  it('when the relay process is killed after publishing and before marking, then the next relay publishes the same events again and JetStream drops them as duplicates', async () => {
    system = await startEventsSystem(nats);
    const { token, broker, database } = system;
    const { api } = await system.startOrdersApi();
    const productIds = await inParallel(3, 3, () => system!.createProduct(api, 10_000));
    const customerId = await system.createCustomer();
    // The stream and the products' events, before the fault.
    const setup = system.startRelay();
    const before = (await untilAllPublished(system, 10_000)).length;
    await setup.stop();

    const ordered = await inParallel(12, 4, (index) =>
      api.post('/orders', {
        token,
        headers: idempotent(),
        body: { customer_id: customerId, items: [{ product_id: productIds[index % 3]!, qty: 1 }] },
      }),
    );
    expect(ordered.map((response) => response.status)).toEqual(Array(12).fill(201));
    const waiting = (await system.outbox()).filter((row) => !row.isPublished);
    expect(waiting).toHaveLength(12 + 12);

    // The test's lock on every waiting row, held in a transaction of its own until released.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let lockedRows!: (count: number) => void;
    const locked = new Promise<number>((resolve) => (lockedRows = resolve));
    const holding = database.db.tx(async (tx) => {
      const rows = await tx.query(
        sql`SELECT position FROM orders_outbox WHERE published_at IS NULL FOR UPDATE`,
      );
      lockedRows(rows.length);
      await released;
    });
    holding.catch(() => lockedRows(-1));
    let relayProcess: Awaited<ReturnType<typeof startApiProcess>> | undefined;
    try {
      expect(await locked).toBe(waiting.length);
      relayProcess = await startApiProcess('orders-api', {
        DATABASE_URL: database.url,
        CUSTOMERS_API_BASE: system.customersApiBase,
        NATS_URL: broker.url,
        EVENTS_STREAM: broker.stream,
        EVENTS_SUBJECT_PREFIX: broker.subjectPrefix,
      });
      const output = relayProcess.service.output;
      await pollUntil(
        'the relay process publishing the waiting events',
        async () =>
          (await streamMessageCount(client, broker.stream)) === before + waiting.length ? true : undefined,
        { timeoutMs: 20_000, intervalMs: 50, lastSeen: output },
      );
      // Its marking UPDATE waits for the test's locks; nothing is marked yet.
      const [blocked] = await pollUntil(
        'the relay process waiting to mark the events',
        async () => {
          const rows = (await database.db.query(sql`
            SELECT ID AS id FROM information_schema.PROCESSLIST
            WHERE DB = ${database.name} AND INFO LIKE 'UPDATE%orders_outbox%'
          `)) as Array<{ id: number }>;
          return rows.length > 0 ? rows : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 50, lastSeen: output },
      );
      expect(blocked).toBeDefined();
      expect((await system.outbox()).filter((row) => !row.isPublished)).toHaveLength(waiting.length);

      const pid = relayProcess.service.process.pid!;
      process.kill(pid, 'SIGKILL');
      expect(await relayProcess.exited).toBeNull();
    } finally {
      release();
      await holding.catch(() => undefined);
      await relayProcess?.service.stop();
    }

    const streamBefore = await readStream(client, broker.stream);
    const next = system.startRelay({ idleMs: 20 });
    const rows = await untilAllPublished(system, 20_000);
    // Each waiting event was published again (acknowledged: JetStream answered "duplicate"),
    // and the stream did not grow.
    expect(await next.published()).toBe(waiting.length);
    const messages = await readStream(client, broker.stream);
    expect(messages).toHaveLength(before + waiting.length);
    expect(messages).toEqual(streamBefore);
    expectStreamMatchesOutbox(messages, rows, broker.subjectPrefix);
    expect(rows.map((row) => row.feedPosition!).sort((a, b) => a - b)).toEqual(
      Array.from({ length: rows.length }, (_, index) => index + 1),
    );
  }, 60_000);

  it('when the feed is read page by page, then it lists the stream’s events in the stream’s order, and a cursor from before an API restart continues where it stopped', async () => {
    system = await startEventsSystem(nats);
    const { token, broker } = system;
    const firstRelay = system.startRelay({ idleMs: 20 });
    const firstApi = await system.startOrdersApi({ eventRelay: firstRelay.relay });
    const productIds = await inParallel(3, 3, () => system!.createProduct(firstApi.api, 1_000));
    const customerId = await system.createCustomer();
    const changes = async (api: HttpClient, count: number) => {
      for (let index = 0; index < count; index += 1) {
        const created = await api.post('/orders', {
          token,
          headers: idempotent(),
          body: {
            customer_id: customerId,
            items: [
              { product_id: productIds[index % 3]!, qty: 1 },
              { product_id: productIds[(index + 1) % 3]!, qty: 1 },
            ],
          },
        });
        expect(created.status).toBe(201);
        const id = created.body.id as number;
        if (index % 3 === 1) {
          const confirmed = await api.post(`/orders/${id}/confirm`, { token, headers: idempotent() });
          expect(confirmed.status).toBe(200);
        }
        if (index % 4 === 2) expect((await api.post(`/orders/${id}/cancel`, { token })).status).toBe(200);
        if (index % 5 === 4) {
          const edited = await api.patch(`/products/${productIds[index % 3]}`, {
            token,
            body: { stock: 900 },
          });
          expect(edited.status).toBe(200);
        }
      }
    };

    /** Pages of `limit` from `after` until an empty one; the events, and the cursor after each page. */
    const readFeed = async (api: HttpClient, options: { after?: string; pages?: number } = {}) => {
      const events: StreamMessage['event'][] = [];
      let cursor = options.after;
      for (let page = 0; page < (options.pages ?? Infinity); page += 1) {
        const query = cursor === undefined ? '' : `&after=${encodeURIComponent(cursor)}`;
        const response = await api.get(`/events?limit=7${query}`, { token });
        expect(response.status).toBe(200);
        expect(typeof response.body.next_cursor).toBe('string');
        if (response.body.data.length === 0) {
          // Open-ended: an empty page gives the same position back, to poll with.
          expect(response.body.next_cursor).toBe(cursor);
          break;
        }
        events.push(...response.body.data);
        cursor = response.body.next_cursor;
      }
      return { events, cursor: cursor! };
    };

    await changes(firstApi.api, 8);
    await untilAllPublished(system, 15_000);
    const firstPages = await readFeed(firstApi.api, { pages: 2 });
    expect(firstPages.events).toHaveLength(14);

    // The API restarts: a new instance (the same CURSOR_SECRET) and a new relay; more changes.
    await firstApi.close();
    await firstRelay.stop();
    const secondRelay = system.startRelay({ idleMs: 20 });
    const secondApi = await system.startOrdersApi({ eventRelay: secondRelay.relay });
    await changes(secondApi.api, 5);
    const rows = await untilAllPublished(system, 15_000);
    await secondRelay.stop();

    const messages = await readStream(client, broker.stream);
    expectStreamMatchesOutbox(messages, rows, broker.subjectPrefix);
    const streamEvents = messages.map((message) => message.event);
    const rest = await readFeed(secondApi.api, { after: firstPages.cursor });
    expect([...firstPages.events, ...rest.events].map((event) => event.id)).toEqual(
      streamEvents.map((event) => event.id),
    );
    // The whole feed, from the start: the stream's envelopes, identical and in the same order.
    const whole = await readFeed(secondApi.api);
    expect(whole.events).toEqual(streamEvents);
    expect(countBy(streamEvents, (event) => event.type)).toMatchObject({
      'product.created': 3,
      'order.created': 13,
      'order.confirmed': 5,
      'order.canceled': 3,
    });
  }, 45_000);
});
