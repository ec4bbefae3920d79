import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { PAGE_SIZE } from '../config';
import type { OrderStatus } from '../contract-types';
import { formatDateTime, startOfDayInstant } from '../dates';
import { formatCents } from '../money';
import { useOrderCache } from '../order-cache';
import { routeHref } from '../router';
import { Field } from '../ui/field';
import { ListStates } from '../ui/list-states';
import { ScreenHeader } from '../ui/screen-header';
import { StatusBadge } from '../ui/status-badge';
import { useKeysetList } from '../ui/use-keyset-list';

const STATUSES: OrderStatus[] = ['CREATED', 'CONFIRMED', 'CANCELED'];

interface Filters {
  status: OrderStatus | '';
  /** Dates as the date inputs give them (YYYY-MM-DD), both days included. */
  from: string;
  to: string;
}

export function OrdersScreen({ query }: { query: string }) {
  void query;
  const api = useApi();
  const cache = useOrderCache();
  const [filters, setFilters] = useState<Filters>({ status: '', from: '', to: '' });
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      api.orders.GET('/orders', {
        params: {
          query: {
            status: filters.status || undefined,
            from: filters.from ? startOfDayInstant(filters.from) : undefined,
            // The contract's `to` is exclusive: the day after the last day shown.
            to: filters.to ? startOfDayInstant(filters.to, 1) : undefined,
            cursor,
            limit: PAGE_SIZE,
          },
        },
      }),
    [api, filters],
  );
  const list = useKeysetList(fetchPage);
  useEffect(() => {
    for (const order of list.items) cache.set(order.id, order);
  }, [cache, list.items]);

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFilters({
      status: STATUSES.find((status) => status === form.get('status')) ?? '',
      from: String(form.get('from') ?? ''),
      to: String(form.get('to') ?? ''),
    });
  }

  const filtered = filters.status || filters.from || filters.to;
  return (
    <>
      <ScreenHeader title="Orders">
        <a className="button primary" href={routeHref({ name: 'new-order' })}>
          New order
        </a>
      </ScreenHeader>
      <form className="filters" onSubmit={applyFilters} aria-label="Filter orders">
        <Field label="Status">
          {(control) => (
            <select {...control} name="status" defaultValue="">
              <option value="">Any status</option>
              {STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Created from">{(control) => <input {...control} name="from" type="date" />}</Field>
        <Field label="Created to (inclusive)">
          {(control) => <input {...control} name="to" type="date" />}
        </Field>
        <button type="submit" className="button secondary">
          Apply filters
        </button>
      </form>
      {list.items.length > 0 && (
        <table>
          <caption className="visually-hidden">Orders, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Customer</th>
              <th scope="col">Status</th>
              <th scope="col" className="number">
                Lines
              </th>
              <th scope="col" className="number">
                Total
              </th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((order) => (
              <tr key={order.id}>
                <td>
                  <a href={routeHref({ name: 'order', id: order.id })}>#{order.id}</a>
                </td>
                <td>#{order.customer_id}</td>
                <td>
                  <StatusBadge status={order.status} />
                </td>
                <td className="number">{order.items.length}</td>
                <td className="number">{formatCents(order.total_cents)}</td>
                <td>{formatDateTime(order.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListStates list={list} empty={filtered ? 'No orders match these filters.' : 'No orders yet.'} />
    </>
  );
}
