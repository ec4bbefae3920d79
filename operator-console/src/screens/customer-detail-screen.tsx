import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/context';
import { problemOf } from '../api/problem';
import { PAGE_SIZE } from '../config';
import type { Customer, Problem } from '../contract-types';
import { formatDateTime } from '../dates';
import { orderFiltersQuery, NO_FILTERS } from '../order-filters';
import { useOrderCache } from '../order-cache';
import { routeHref } from '../router';
import { ListStates } from '../ui/list-states';
import { OrdersTable } from '../ui/orders-table';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { useKeysetList } from '../ui/use-keyset-list';

type CustomerState =
  | { kind: 'loading' }
  | { kind: 'found'; customer: Customer }
  | { kind: 'deleted' }
  | { kind: 'failed'; problem: Problem };

/**
 * One customer and their orders. A deleted customer is 404 at the Customers API but their
 * orders keep a snapshot of them, so the screen still names them from the newest order.
 */
export function CustomerDetailScreen({ id }: { id: number }) {
  const api = useApi();
  const cache = useOrderCache();
  const [state, setState] = useState<CustomerState>({ kind: 'loading' });

  const loadCustomer = useCallback(async () => {
    setState({ kind: 'loading' });
    const { data, error, response } = await api.customers.GET('/customers/{id}', {
      params: { path: { id } },
    });
    if (data) setState({ kind: 'found', customer: data });
    else if (response.status === 404) setState({ kind: 'deleted' });
    else setState({ kind: 'failed', problem: problemOf(error, response) });
  }, [api, id]);
  useEffect(() => {
    void loadCustomer();
  }, [loadCustomer]);

  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      api.orders.GET('/orders', { params: { query: { customer_id: id, cursor, limit: PAGE_SIZE } } }),
    [api, id],
  );
  const orders = useKeysetList(fetchPage);
  useEffect(() => {
    for (const order of orders.items) cache.set(order.id, order);
  }, [cache, orders.items]);

  const snapshot = orders.items[0]?.customer;
  const shown = state.kind === 'found' ? state.customer : state.kind === 'deleted' ? snapshot : undefined;
  const ordersLink = routeHref({
    name: 'orders',
    query: orderFiltersQuery({ ...NO_FILTERS, customerId: String(id) }),
  });

  return (
    <>
      <p className="breadcrumb">
        <a href={routeHref({ name: 'customers' })}>Customers</a> / #{id}
      </p>
      <ScreenHeader title={shown ? shown.name : `Customer #${id}`}>
        <a className="button secondary" href={ordersLink}>
          Filter the orders list
        </a>
      </ScreenHeader>
      {state.kind === 'loading' && (
        <p className="muted" role="status">
          Loading…
        </p>
      )}
      {state.kind === 'failed' && (
        <ProblemAlert problem={state.problem} onRetry={() => void loadCustomer()} />
      )}
      {state.kind === 'deleted' && (
        <p className="notice deleted-customer" role="status">
          {snapshot
            ? 'This customer was deleted. The name and email below are from their latest order.'
            : orders.status === 'loading'
              ? 'This customer does not exist (any more). Looking for their orders…'
              : `Customer #${id} does not exist, and no order names them.`}
        </p>
      )}
      {shown && (
        <dl className="facts card">
          <div>
            <dt>Id</dt>
            <dd>
              #{id}
              {state.kind === 'deleted' && ' (deleted)'}
            </dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{shown.email}</dd>
          </div>
          <div>
            <dt>Phone</dt>
            <dd>{shown.phone ?? '—'}</dd>
          </div>
          {state.kind === 'found' && (
            <div>
              <dt>Customer since</dt>
              <dd>{formatDateTime(state.customer.created_at)}</dd>
            </div>
          )}
        </dl>
      )}
      <h2>Orders</h2>
      {orders.items.length > 0 && (
        <OrdersTable
          orders={orders.items}
          caption={`Orders of customer #${id}, newest first`}
          showCustomer={false}
        />
      )}
      <ListStates list={orders} empty="No orders from this customer." />
    </>
  );
}
