import { afterEach, expect } from 'vitest';
import { validateEvent } from '@b2b/contracts/events';
import type { Database } from '../database';
import { startEventRelay, type EventRelay, type EventRelayOptions } from '../event-relay';
import { createLogger } from '../logger';
import { createMetricsRegistry } from '../http/metrics';
import { OUTBOX_COLUMNS, toEnvelope, type EventEnvelope, type Outbox, type OutboxRow } from '../outbox';
import { sql } from '@databases/mysql';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A test file's hold on one API's outbox in its test database (`db` is read when used, so it
 * may be set in a beforeAll): relays driven by hand (stopped after each test), the events an
 * action wrote, and the exact check of one event. Call it at the top of the file.
 */
export function useOutbox(db: () => Database, outbox: Outbox) {
  const relays: EventRelay[] = [];
  const stopRelays = async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  };
  afterEach(stopRelays);

  const lastPosition = async (): Promise<number> => {
    const [row] = (await db().query(
      sql`SELECT COALESCE(MAX(position), 0) AS position FROM ${sql.ident(outbox.table)}`,
    )) as Array<{ position: string | number }>;
    return Number(row!.position);
  };

  /** The events written after outbox position `after`, in the order they were written. */
  const eventsAfter = async (after: number): Promise<EventEnvelope[]> => {
    const rows = (await db().query(
      sql`SELECT ${OUTBOX_COLUMNS} FROM ${sql.ident(outbox.table)} WHERE position > ${after} ORDER BY position`,
    )) as OutboxRow[];
    return rows.map((row) => toEnvelope(outbox, row));
  };

  /** Runs `action` and returns what it returned with the events it wrote to the outbox. */
  const withEvents = async <T>(action: () => Promise<T>): Promise<{ result: T; events: EventEnvelope[] }> => {
    const before = await lastPosition();
    const result = await action();
    return { result, events: await eventsAfter(before) };
  };

  return {
    /** Stops the relays started so far (done after each test anyway), e.g. before deleting their stream. */
    stopRelays,
    lastPosition,
    eventsAfter,
    withEvents,

    /** A relay over the test database; broker undefined (EVENTS_PUBLISH=off) unless given; driven by runOnce. */
    startRelay(options: Partial<EventRelayOptions> = {}): EventRelay {
      const relay = startEventRelay({
        db: db(),
        outbox,
        broker: undefined,
        logger: createLogger({ service: 'outbox-test', level: 'silent' }),
        registry: createMetricsRegistry(),
        retentionHours: 168,
        // The test drives it with runOnce: no second timer cycle within a test.
        idleMs: 600_000,
        ...options,
      });
      relays.push(relay);
      return relay;
    },

    /** Runs cycles until one handles nothing; the total handled. */
    async drain(relay: EventRelay): Promise<number> {
      let total = 0;
      for (let handled = await relay.runOnce(); handled > 0; handled = await relay.runOnce())
        total += handled;
      return total;
    },

    /** Runs `action` and checks that the outbox has no new event. */
    async expectNoEvent<T>(action: () => Promise<T>): Promise<T> {
      const { result, events } = await withEvents(action);
      expect(events).toEqual([]);
      return result;
    },

    /** The event exactly: valid for the events contract, every attribute as expected, `time` the change's. */
    expectEvent(
      event: EventEnvelope | undefined,
      expected: {
        type: string;
        subject: string;
        subjectsequence: number;
        correlationid: string;
        data: unknown;
      },
    ) {
      expect(validateEvent(event)).toEqual({ valid: true });
      expect(event).toEqual({
        specversion: '1.0',
        id: expect.stringMatching(UUID),
        source: outbox.source,
        datacontenttype: 'application/json',
        time: (expected.data as { updated_at: string }).updated_at,
        ...expected,
      });
    },
  };
}
