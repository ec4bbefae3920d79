import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatCalendarDate, toCalendarDate } from '../calendar';
import { formatCents } from '../money';

/** One day of the chart: a YYYY-MM-DD date of the operator's zone, its orders and its revenue in cents. */
export interface ChartDay {
  date: string;
  orders: number;
  revenueCents: number;
}

const ORDERS_COLOUR = '#1f5fbf';
const REVENUE_COLOUR = '#1e7a3c';

function midnightSeconds(date: string): number {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(year!, month! - 1, day!).getTime() / 1000;
}

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/**
 * Orders (bars, left axis) and revenue (line, right axis) per day, drawn by uPlot on a
 * canvas that follows its container's width. The canvas says nothing to a screen reader,
 * so the same figures are a table right below it (folded, for everyone to open).
 */
export function OrdersChart({ days, caption }: { days: ChartDay[]; caption: string }) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const data: uPlot.AlignedData = [
      days.map((day) => midnightSeconds(day.date)),
      days.map((day) => day.orders),
      // Whole currency units on the axis: cents would read as a hundred times the amount.
      days.map((day) => day.revenueCents / 100),
    ];
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 260,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: {
          // Half a day either side, so the first and last bars are drawn whole.
          x: { time: true, range: (_, min, max) => [min - 43_200, max + 43_200] },
          orders: { range: (_, __, max) => [0, Math.max(4, max)] },
        },
        axes: [
          {
            values: (_, ticks) =>
              ticks.map((tick) => formatCalendarDate(toCalendarDate(new Date(tick * 1000)))),
          },
          {
            scale: 'orders',
            values: (_, ticks) => ticks.map((tick) => (Number.isInteger(tick) ? String(tick) : '')),
          },
          {
            scale: 'revenue',
            side: 1,
            grid: { show: false },
            values: (_, ticks) => ticks.map((tick) => compact.format(tick)),
          },
        ],
        series: [
          {},
          {
            label: 'Orders',
            scale: 'orders',
            fill: `${ORDERS_COLOUR}55`,
            stroke: ORDERS_COLOUR,
            paths: uPlot.paths.bars!({ size: [0.6, 40] }),
            points: { show: false },
          },
          { label: 'Revenue', scale: 'revenue', stroke: REVENUE_COLOUR, width: 2 },
        ],
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(320, element.clientWidth), height: 260 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [days]);

  return (
    <figure className="chart card">
      <figcaption>
        <h2>{caption}</h2>
        <span className="chart-legend" aria-hidden="true">
          <span className="swatch orders" /> Orders (left axis) <span className="swatch revenue" /> Revenue,
          confirmed (right axis)
        </span>
      </figcaption>
      <div ref={container} className="chart-canvas" aria-hidden="true" />
      <details>
        <summary>Show the figures as a table</summary>
        <table className="chart-data">
          <caption className="visually-hidden">{caption}, as a table</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col" className="number">
                Orders
              </th>
              <th scope="col" className="number">
                Revenue (confirmed)
              </th>
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day.date}>
                <th scope="row">
                  <time dateTime={day.date}>{day.date}</time>
                </th>
                <td className="number">{day.orders}</td>
                <td className="number">{formatCents(day.revenueCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
