import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/context';
import { problemOf } from '../api/problem';
import type { Order, OrderEvent, Problem } from '../contract-types';
import { formatPreciseDateTime } from '../dates';
import {
  cancelSourceOf,
  EVENT_PAGE_SIZE,
  expectedEventCount,
  readOrderEvents,
  type OrderEventsRead,
} from '../order-events';
import { ProblemAlert } from '../ui/problem-alert';

/** After a change, the feed is read again this often while its event is not there yet… */
const CATCH_UP_DELAY_MS = 1_000;
/** …at most this many times (the relay numbers events within a fraction of a second). */
const CATCH_UP_READS = 3;

/**
 * The order's events (GET /events on the Orders API) as a timeline: type, time, the
 * correlation id of the request that caused each one, and for order.canceled its
 * cancel_source. Read again whenever the order changes (a confirm or cancel here), a few
 * times more while the change's event is not in the feed yet (the relay numbers it moments
 * after the change), and on "Reload events".
 */
export function OrderTimeline({ order }: { order: Order }) {
  const api = useApi();
  const [read, setRead] = useState<OrderEventsRead>();
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const latestCall = useRef(0);

  const load = useCallback(
    async (further?: OrderEventsRead) => {
      const call = (latestCall.current += 1);
      setLoading(true);
      setProblem(undefined);
      const result = await readOrderEvents(
        order,
        (after) => api.orders.GET('/events', { params: { query: { after, limit: EVENT_PAGE_SIZE } } }),
        further ? { after: further.cursor, found: further.events } : {},
      );
      if (call !== latestCall.current) return;
      setLoading(false);
      setRead(result);
      if (result.failed) setProblem(problemOf(result.failed.error, result.failed.response));
    },
    [api, order],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const catchUps = useRef(0);
  useEffect(() => {
    catchUps.current = 0;
  }, [order]);
  useEffect(() => {
    if (read?.outcome !== 'end-of-feed' || catchUps.current >= CATCH_UP_READS) return;
    const timer = setTimeout(() => {
      catchUps.current += 1;
      void load();
    }, CATCH_UP_DELAY_MS);
    return () => clearTimeout(timer);
  }, [read, load]);

  const missing = read ? expectedEventCount(order) - read.events.length : 0;
  return (
    <section className="timeline card" aria-labelledby="order-events-heading" aria-busy={loading}>
      <div className="section-header">
        <h2 id="order-events-heading">Events</h2>
        <button
          type="button"
          className="button secondary small"
          onClick={() => void load()}
          disabled={loading}
        >
          {loading ? 'Reading events…' : 'Reload events'}
        </button>
      </div>
      {read && read.events.length > 0 && (
        <ol className="timeline-list">
          {read.events.map((event) => (
            <TimelineEntry key={event.id} event={event} />
          ))}
        </ol>
      )}
      <p className="muted" role="status">
        {loading ? 'Reading the event feed…' : read && describeOutcome(read, missing)}
      </p>
      {problem && <ProblemAlert problem={problem} onRetry={() => void load(read)} />}
      {read?.outcome === 'bounded' && read.cursor && !problem && (
        <button type="button" className="button secondary" onClick={() => void load(read)} disabled={loading}>
          Read further
        </button>
      )}
    </section>
  );
}

function describeOutcome(read: OrderEventsRead, missing: number): string {
  switch (read.outcome) {
    case 'complete':
      return `${read.events.length} ${read.events.length === 1 ? 'event' : 'events'}.`;
    case 'end-of-feed':
      return `${missing} ${missing === 1 ? 'event is' : 'events are'} not in the feed yet (the relay adds each one moments after the change, or the feed no longer keeps it). Reload events to look again.`;
    case 'expired':
      return 'The event feed no longer keeps this order’s events (they are older than its retention).';
    case 'bounded':
      return read.failed
        ? 'Reading the event feed failed.'
        : `Not all events found yet: the feed is read from its oldest event, ${read.events.length} found so far.`;
  }
}

function TimelineEntry({ event }: { event: OrderEvent }) {
  const source = cancelSourceOf(event);
  return (
    <li>
      <p className="timeline-title">
        <strong>{event.type}</strong> <time dateTime={event.time}>{formatPreciseDateTime(event.time)}</time>
      </p>
      <p className="hint">
        Correlation id <code>{event.correlationid}</code>
        {source && (
          <>
            {' '}
            · cancel source <code>{source}</code>
          </>
        )}
      </p>
    </li>
  );
}
