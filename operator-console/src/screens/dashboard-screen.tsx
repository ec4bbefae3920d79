import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useApi } from '../api/context';
import { problemOf } from '../api/problem';
import { browserTimeZone, calendarDateFrom } from '../calendar';
import type { Problem } from '../contract-types';
import { formatTime } from '../dates';
import { formatCents } from '../money';
import { NO_FILTERS, orderFiltersQuery, type OrderFilters } from '../order-filters';
import { routeHref } from '../router';
import { OrdersChart, type ChartDay } from '../ui/orders-chart';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';

/** Days the chart covers, today included. */
const CHART_DAYS = 30;
const EXPIRING_WITHIN_MINUTES = 15;
const LOW_STOCK_BELOW = 10;
/** The contract's largest page: more low-stock products than this show as "100+". */
const LOW_STOCK_PAGE = 100;

/** An openapi-fetch answer's parts a screen uses. */
interface Answer<Data> {
  data?: Data;
  error?: unknown;
  response: Response;
}

type Loaded<Data> = { data?: Data; problem?: Problem };

/** One call's result, asked again on `reloads` changes; each tile group fails on its own. */
function useCall<Data>(call: () => Promise<Answer<Data>>, reloads: number): Loaded<Data> & { retry(): void } {
  const [result, setResult] = useState<Loaded<Data>>({});
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    void call().then(({ data, error, response }) => {
      if (current) setResult(data ? { data } : { problem: problemOf(error, response) });
    });
    return () => {
      current = false;
    };
    // `call` is a new function each render; what it asks for changes with `reloads` only.
  }, [reloads, attempt]);
  return { ...result, retry: () => setAttempt((value) => value + 1) };
}

function ordersLink(filters: Partial<OrderFilters>): string {
  return routeHref({ name: 'orders', query: orderFiltersQuery({ ...NO_FILTERS, ...filters }) });
}

function Tile({
  label,
  value,
  detail,
  href,
}: {
  label: string;
  value: ReactNode;
  detail: ReactNode;
  href: string;
}) {
  return (
    <li>
      <a className="tile card" href={href}>
        <span className="tile-label">{label}</span>
        <span className="tile-value">{value}</span>
        <span className="tile-detail">{detail}</span>
      </a>
    </li>
  );
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * The landing screen: today's and the last 7 days' orders and revenue, the backlog waiting
 * for confirmation, reservations about to expire, low stock, and 30 days as a chart. Each
 * tile links to the list behind its number. Days are the browser's calendar days.
 */
export function DashboardScreen() {
  const api = useApi();
  const [reloads, setReloads] = useState(0);
  const [now, setNow] = useState(() => new Date());
  const timeZone = browserTimeZone();
  const today = calendarDateFrom(now, 0);
  const weekStart = calendarDateFrom(now, -6);

  const perDay = useCall(
    () =>
      api.orders.GET('/stats/orders-per-day', {
        params: { query: { from: calendarDateFrom(now, 1 - CHART_DAYS), to: today, time_zone: timeZone } },
      }),
    reloads,
  );
  const backlog = useCall(
    () =>
      api.orders.GET('/stats/backlog', {
        params: { query: { expiring_within_minutes: EXPIRING_WITHIN_MINUTES } },
      }),
    reloads,
  );
  const lowStock = useCall(
    () =>
      api.orders.GET('/products', {
        params: { query: { stock_below: LOW_STOCK_BELOW, limit: LOW_STOCK_PAGE } },
      }),
    reloads,
  );
  const refresh = useCallback(() => {
    setNow(new Date());
    setReloads((value) => value + 1);
  }, []);

  const days = perDay.data?.days ?? [];
  const sum = (from: string) =>
    days
      .filter((day) => day.date >= from)
      .reduce(
        (total, day) => ({
          orders: total.orders + day.orders,
          totalCents: total.totalCents + day.total_cents,
          confirmed: total.confirmed + day.by_status.CONFIRMED.orders,
          revenueCents: total.revenueCents + day.by_status.CONFIRMED.total_cents,
        }),
        { orders: 0, totalCents: 0, confirmed: 0, revenueCents: 0 },
      );
  const ofToday = sum(today);
  const ofWeek = sum(weekStart);
  const chartDays: ChartDay[] = days.map((day) => ({
    date: day.date,
    orders: day.orders,
    revenueCents: day.by_status.CONFIRMED.total_cents,
  }));

  return (
    <>
      <ScreenHeader title="Dashboard">
        <button type="button" className="button secondary" onClick={refresh}>
          Refresh
        </button>
      </ScreenHeader>
      <p className="muted time-zone">
        Days are calendar days in <strong>{timeZone}</strong> (this browser&apos;s time zone). Revenue counts
        confirmed orders. As of {formatTime(now.getTime())}.
      </p>

      <section aria-labelledby="orders-heading">
        <h2 id="orders-heading">Orders and revenue</h2>
        {perDay.problem && <ProblemAlert problem={perDay.problem} onRetry={perDay.retry} />}
        {perDay.data && (
          <ul className="tiles">
            <Tile
              label="Orders today"
              value={ofToday.orders}
              detail={`${formatCents(ofToday.totalCents)} in all`}
              href={ordersLink({ from: today, to: today })}
            />
            <Tile
              label="Revenue today"
              value={formatCents(ofToday.revenueCents)}
              detail={plural(ofToday.confirmed, 'confirmed order')}
              href={ordersLink({ status: 'CONFIRMED', from: today, to: today })}
            />
            <Tile
              label="Orders, last 7 days"
              value={ofWeek.orders}
              detail={`${formatCents(ofWeek.totalCents)} in all`}
              href={ordersLink({ from: weekStart, to: today })}
            />
            <Tile
              label="Revenue, last 7 days"
              value={formatCents(ofWeek.revenueCents)}
              detail={plural(ofWeek.confirmed, 'confirmed order')}
              href={ordersLink({ status: 'CONFIRMED', from: weekStart, to: today })}
            />
          </ul>
        )}
      </section>

      <section aria-labelledby="attention-heading">
        <h2 id="attention-heading">Needs attention</h2>
        {backlog.problem && <ProblemAlert problem={backlog.problem} onRetry={backlog.retry} />}
        {lowStock.problem && <ProblemAlert problem={lowStock.problem} onRetry={lowStock.retry} />}
        <ul className="tiles">
          {backlog.data && (
            <>
              <Tile
                label="Waiting for confirmation"
                value={backlog.data.created}
                detail={`${formatCents(backlog.data.created_total_cents)} in all`}
                href={ordersLink({ status: 'CREATED' })}
              />
              <Tile
                label={`Reservations expiring within ${EXPIRING_WITHIN_MINUTES} min`}
                value={backlog.data.expiring}
                detail={
                  backlog.data.reservation_ttl_minutes === 0
                    ? 'Reservations do not expire'
                    : backlog.data.next_expiry_at
                      ? `Next at ${formatTime(backlog.data.next_expiry_at)}`
                      : 'None pending'
                }
                href={ordersLink({ status: 'CREATED' })}
              />
            </>
          )}
          {lowStock.data && (
            <Tile
              label="Low-stock products"
              value={`${lowStock.data.data.length}${lowStock.data.next_cursor ? '+' : ''}`}
              detail={`Fewer than ${LOW_STOCK_BELOW} units available`}
              href={routeHref({ name: 'products', query: `stock_below=${LOW_STOCK_BELOW}` })}
            />
          )}
        </ul>
      </section>

      {perDay.data && (
        <OrdersChart days={chartDays} caption={`Orders and revenue per day, last ${CHART_DAYS} days`} />
      )}
      {!perDay.data && !perDay.problem && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
    </>
  );
}
