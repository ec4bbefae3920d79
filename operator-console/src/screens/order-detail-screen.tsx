import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/context';
import { fieldErrorsOf, problemOf } from '../api/problem';
import { CANCEL_WINDOW_MINUTES } from '../config';
import type { Order, Problem } from '../contract-types';
import { formatDateTime, formatTime } from '../dates';
import { formatCents } from '../money';
import { useOrderCache } from '../order-cache';
import { canConfirm, cancelAvailability, cancelWindowEnd, type CancelAvailability } from '../order-rules';
import { randomId } from '../random-id';
import { routeHref } from '../router';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { Field } from '../ui/field';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { StatusBadge } from '../ui/status-badge';
import { OrderTimeline } from './order-timeline';

/** The current time, read again when `deadline` passes, so a button can change state at that moment. */
function useNowUntil(deadline: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (deadline === undefined) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.max(0, deadline - Date.now()) + 250);
    return () => clearTimeout(timer);
  }, [deadline]);
  return now;
}

function describeCancel(availability: CancelAvailability): string {
  switch (availability.kind) {
    case 'open':
      return availability.until
        ? `Can be canceled until ${formatTime(availability.until)} (${CANCEL_WINDOW_MINUTES} minutes after confirmation).`
        : 'Canceling releases the reserved stock.';
    case 'window-closed':
      return `The cancel window closed at ${formatDateTime(availability.closedAt)}, ${CANCEL_WINDOW_MINUTES} minutes after confirmation.`;
    case 'already-canceled':
      return 'Already canceled.';
  }
}

export function OrderDetailScreen({ id }: { id: number }) {
  const api = useApi();
  const cache = useOrderCache();
  const [order, setOrder] = useState<Order | undefined>(() => cache.get(id));
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [customer, setCustomer] = useState<'exists' | 'deleted'>();
  const [busy, setBusy] = useState<'confirm' | 'cancel'>();
  const [canceling, setCanceling] = useState(false);
  const [reason, setReason] = useState('');
  const [cancelProblem, setCancelProblem] = useState<Problem>();
  // One key per confirmation of this order, kept until it succeeds: a retry after a lost
  // answer replays the first confirmation instead of confirming again.
  const confirmKey = useRef<string | undefined>(undefined);

  const show = useCallback(
    (next: Order) => {
      cache.set(next.id, next);
      setOrder(next);
    },
    [cache],
  );

  const reload = useCallback(async () => {
    setLoading(true);
    setProblem(undefined);
    const { data, error, response } = await api.orders.GET('/orders/{id}', { params: { path: { id } } });
    setLoading(false);
    if (data) show(data);
    else setProblem(problemOf(error, response));
  }, [api, id, show]);

  useEffect(() => {
    if (!cache.has(id)) void reload();
  }, [cache, id, reload]);

  const customerId = order?.customer_id;
  useEffect(() => {
    if (customerId === undefined) return;
    void api.customers
      .GET('/customers/{id}', { params: { path: { id: customerId } } })
      .then(({ data, response }) => {
        if (data) setCustomer('exists');
        else if (response.status === 404) setCustomer('deleted');
      });
  }, [api, customerId]);

  const now = useNowUntil(order ? cancelWindowEnd(order, CANCEL_WINDOW_MINUTES) : undefined);

  async function confirm() {
    if (!order) return;
    confirmKey.current ??= randomId();
    setBusy('confirm');
    setProblem(undefined);
    const { data, error, response } = await api.orders.POST('/orders/{id}/confirm', {
      params: { path: { id: order.id }, header: { 'X-Idempotency-Key': confirmKey.current } },
    });
    setBusy(undefined);
    if (data) {
      confirmKey.current = undefined;
      show(data);
    } else {
      setProblem(problemOf(error, response));
    }
  }

  async function cancel() {
    if (!order) return;
    setBusy('cancel');
    setCancelProblem(undefined);
    const text = reason.trim();
    const { data, error, response } = await api.orders.POST('/orders/{id}/cancel', {
      params: { path: { id: order.id } },
      body: text ? { reason: text } : undefined,
    });
    setBusy(undefined);
    if (data) {
      setCanceling(false);
      setReason('');
      show(data);
    } else {
      setCancelProblem(problemOf(error, response));
    }
  }

  if (!order) {
    return (
      <>
        <h1 tabIndex={-1}>Order #{id}</h1>
        {loading && (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
        {/* An unknown id stays unknown: trying again cannot help, unlike after a 5xx or no answer. */}
        {problem?.status === 404 ? (
          <p role="alert" className="problem">
            Order #{id} does not exist.
          </p>
        ) : (
          problem && <ProblemAlert problem={problem} onRetry={() => void reload()} />
        )}
        <p>
          <a href={routeHref({ name: 'orders' })}>Back to orders</a>
        </p>
      </>
    );
  }

  const availability = cancelAvailability(order, now, CANCEL_WINDOW_MINUTES);
  const confirmable = canConfirm(order);
  return (
    <>
      <p className="breadcrumb">
        <a href={routeHref({ name: 'orders' })}>Orders</a> / #{order.id}
      </p>
      <ScreenHeader
        title={
          <>
            Order #{order.id} <StatusBadge status={order.status} />
          </>
        }
      >
        <button type="button" className="button secondary" onClick={() => void reload()} disabled={loading}>
          {loading ? 'Reloading…' : 'Reload'}
        </button>
      </ScreenHeader>

      <dl className="facts card">
        <div>
          <dt>Customer</dt>
          <dd>
            {/* The order's snapshot names the customer as ordered; the Customers API says whether they still exist. */}
            <a href={routeHref({ name: 'customer', id: order.customer_id })}>{order.customer.name}</a>{' '}
            <span className="nowrap">({order.customer.email})</span>
            {customer === 'deleted' && <span className="muted"> · customer deleted</span>}
          </dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd className="total">{formatCents(order.total_cents)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(order.created_at)}</dd>
        </div>
        {order.confirmed_at && (
          <div>
            <dt>Confirmed</dt>
            <dd>{formatDateTime(order.confirmed_at)}</dd>
          </div>
        )}
        {order.canceled_at && (
          <div>
            <dt>Canceled</dt>
            <dd>
              {formatDateTime(order.canceled_at)}
              {order.cancel_source && <> by {order.cancel_source.replaceAll('_', ' ').toLowerCase()}</>}
              {order.cancel_reason && <>: “{order.cancel_reason}”</>}
            </dd>
          </div>
        )}
      </dl>

      <table>
        <caption className="visually-hidden">Items of order #{order.id}</caption>
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Product</th>
            <th scope="col" className="number">
              Quantity
            </th>
            <th scope="col" className="number">
              Unit price
            </th>
            <th scope="col" className="number">
              Subtotal
            </th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item) => (
            <tr key={item.product_id}>
              <td>
                <code>{item.sku}</code>
              </td>
              <td>{item.name}</td>
              <td className="number">{item.qty}</td>
              <td className="number">{formatCents(item.unit_price_cents)}</td>
              <td className="number">{formatCents(item.subtotal_cents)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={4}>
              Total
            </th>
            <td className="number total">{formatCents(order.total_cents)}</td>
          </tr>
        </tfoot>
      </table>

      {problem && <ProblemAlert problem={problem} />}
      <div className="actions order-actions">
        <div>
          <button
            type="button"
            className="button primary"
            disabled={!confirmable || busy !== undefined}
            aria-describedby="confirm-help"
            onClick={() => void confirm()}
          >
            {busy === 'confirm' ? 'Confirming…' : 'Confirm order'}
          </button>
          <p id="confirm-help" className="hint">
            {confirmable
              ? 'Confirms the order once, however often it is retried.'
              : 'Only a CREATED order can be confirmed.'}
          </p>
        </div>
        <div>
          <button
            type="button"
            className="button danger"
            disabled={availability.kind !== 'open' || busy !== undefined}
            aria-describedby="cancel-help"
            onClick={() => {
              setCancelProblem(undefined);
              setCanceling(true);
            }}
          >
            Cancel order
          </button>
          <p id="cancel-help" className="hint">
            {describeCancel(availability)}
          </p>
        </div>
      </div>

      <OrderTimeline order={order} />

      <ConfirmDialog
        open={canceling}
        title={`Cancel order #${order.id}?`}
        confirmLabel="Cancel order"
        cancelLabel="Keep order"
        danger
        busy={busy === 'cancel'}
        onConfirm={() => void cancel()}
        onClose={() => setCanceling(false)}
      >
        <p>Its stock is put back. This cannot be undone.</p>
        <Field label="Reason (optional)" error={fieldErrorsOf(cancelProblem).reason}>
          {(control) => (
            <textarea
              {...control}
              rows={3}
              maxLength={500}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
            />
          )}
        </Field>
        {cancelProblem && <ProblemAlert problem={cancelProblem} fieldsShown={['body.reason']} />}
      </ConfirmDialog>
    </>
  );
}
