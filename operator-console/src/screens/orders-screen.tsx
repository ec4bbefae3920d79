import { useCallback, useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/context';
import { PAGE_SIZE } from '../config';
import type { Problem } from '../contract-types';
import { downloadOrdersCsv } from '../order-export';
import { useOrderCache } from '../order-cache';
import {
  NO_FILTERS,
  ORDER_STATUSES,
  dateRangeError,
  hasFilters,
  ignoredNotice,
  isCustomerId,
  orderFiltersQuery,
  orderListQuery,
  parseOrderFilters,
  readOrderFilters,
  type OrderFilters,
} from '../order-filters';
import { routeHref } from '../router';
import { Field } from '../ui/field';
import { ListStates } from '../ui/list-states';
import { OrdersTable } from '../ui/orders-table';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { useKeysetList } from '../ui/use-keyset-list';

/**
 * The orders list. Its filters live in the route's query: a change is a new history entry
 * (back and forward step through filters), and a reload or a shared link shows the same
 * list. The form holds what the operator typed until it can be applied, so a `from` after
 * `to` stays on screen with its message and asks nothing of the API. Values of the address
 * that cannot be used are named in a notice, and Reset cleans them away.
 */
export function OrdersScreen({ query }: { query: string }) {
  const api = useApi();
  const cache = useOrderCache();
  const { filters, ignored } = useMemo(() => readOrderFilters(query), [query]);
  const applied = orderFiltersQuery(filters);
  const [draft, setDraft] = useState(filters);
  const [customerIdText, setCustomerIdText] = useState(filters.customerId);
  const [draftOf, setDraftOf] = useState(applied);
  // Back, forward or a link changed the filters: the form shows them (state adjusted while rendering).
  if (draftOf !== applied) {
    setDraftOf(applied);
    setDraft(filters);
    setCustomerIdText(filters.customerId);
  }
  const [exported, setExported] = useState<{ written: number; done: boolean }>();
  const [exportProblem, setExportProblem] = useState<Problem>();

  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      api.orders.GET('/orders', {
        params: { query: { ...orderListQuery(filters), cursor, limit: PAGE_SIZE } },
      }),
    [api, filters],
  );
  const list = useKeysetList(fetchPage);
  useEffect(() => {
    for (const order of list.items) cache.set(order.id, order);
  }, [cache, list.items]);

  function apply(next: OrderFilters) {
    setDraft(next);
    if (dateRangeError(next)) return;
    const nextQuery = orderFiltersQuery(next);
    // An address with ignored values is rewritten even to the same filters: it then says what is shown.
    if (nextQuery !== applied || ignored.length > 0)
      window.location.hash = routeHref({ name: 'orders', query: nextQuery });
  }

  // Typed digit by digit, so applied on Enter or on leaving the field, not on every key.
  const customerIdError =
    customerIdText.trim() === '' || isCustomerId(customerIdText.trim())
      ? undefined
      : 'A customer id is a whole number, e.g. 42.';
  function applyCustomerId() {
    if (!customerIdError) apply({ ...draft, customerId: customerIdText.trim() });
  }

  // What the form shows, a customer id typed but not yet applied (Enter, blur) included; none
  // while a field is in error, since the list does not show those filters either.
  const shown: OrderFilters | undefined = customerIdError
    ? undefined
    : { ...draft, customerId: customerIdText.trim() };
  const canExport = shown !== undefined && !dateRangeError(shown);

  async function exportCsv() {
    if (!shown || !canExport) return;
    // Clicking Export can be what ends a customer id edit (its blur applies it in this same
    // gesture, and the address changes only after this handler runs): export exactly the filters
    // shown, and apply them so that the list matches the file.
    apply(shown);
    const exporting = parseOrderFilters(orderFiltersQuery(shown));
    setExportProblem(undefined);
    setExported({ written: 0, done: false });
    const problem = await downloadOrdersCsv(api, exporting, (written) =>
      setExported({ written, done: false }),
    );
    if (problem) {
      setExported(undefined);
      setExportProblem(problem);
    } else {
      setExported((shown) => ({ written: shown?.written ?? 0, done: true }));
    }
  }

  const exporting = exported !== undefined && !exported.done;
  return (
    <>
      <ScreenHeader title="Orders">
        <div className="actions">
          <button
            type="button"
            className="button secondary"
            onClick={() => void exportCsv()}
            disabled={exporting || !canExport}
            aria-describedby="export-help"
          >
            {exporting ? 'Exporting…' : 'Export CSV'}
          </button>
          <a className="button primary" href={routeHref({ name: 'new-order' })}>
            New order
          </a>
        </div>
      </ScreenHeader>
      <p id="export-help" className="hint export-status" role="status">
        {exported
          ? exported.done
            ? `Exported ${exported.written} orders.`
            : `Exporting… ${exported.written} orders so far.`
          : canExport
            ? 'Export CSV downloads every order matching the filters, not only the rows shown.'
            : 'Correct the filters marked below to export.'}
      </p>
      <p className="notice warning" role="status">
        {ignoredNotice(ignored)}
      </p>
      {exportProblem && <ProblemAlert problem={exportProblem} onRetry={() => void exportCsv()} />}
      <form className="filters" aria-label="Filter orders" onSubmit={(event) => event.preventDefault()}>
        <Field label="Status">
          {(control) => (
            <select
              {...control}
              name="status"
              value={draft.status}
              onChange={(event) =>
                apply({
                  ...draft,
                  status: ORDER_STATUSES.find((status) => status === event.target.value) ?? '',
                })
              }
            >
              <option value="">Any status</option>
              {ORDER_STATUSES.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Created from">
          {(control) => (
            <input
              {...control}
              name="from"
              type="date"
              value={draft.from}
              onChange={(event) => apply({ ...draft, from: event.target.value })}
            />
          )}
        </Field>
        <Field label="Created to (inclusive)" error={dateRangeError(draft)}>
          {(control) => (
            <input
              {...control}
              name="to"
              type="date"
              value={draft.to}
              onChange={(event) => apply({ ...draft, to: event.target.value })}
            />
          )}
        </Field>
        <Field label="Customer id" error={customerIdError}>
          {(control) => (
            <input
              {...control}
              name="customer_id"
              inputMode="numeric"
              className="customer-id"
              value={customerIdText}
              onChange={(event) => setCustomerIdText(event.target.value)}
              onBlur={applyCustomerId}
              onKeyDown={(event) => {
                if (event.key === 'Enter') applyCustomerId();
              }}
            />
          )}
        </Field>
        <button
          type="button"
          className="button secondary"
          disabled={!hasFilters(draft) && customerIdText === '' && ignored.length === 0}
          onClick={() => {
            setCustomerIdText('');
            apply(NO_FILTERS);
          }}
        >
          Reset filters
        </button>
      </form>
      {list.items.length > 0 && <OrdersTable orders={list.items} caption="Orders, newest first" />}
      <ListStates
        list={list}
        empty={hasFilters(filters) ? 'No orders match these filters.' : 'No orders yet.'}
      />
    </>
  );
}
