import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/context';
import { problemOf } from '../api/problem';
import { PAGE_SIZE } from '../config';
import type { Problem, RotatedSecret, WebhookDelivery, WebhookEndpoint } from '../contract-types';
import { formatDateTime, formatPreciseDateTime } from '../dates';
import { routeHref } from '../router';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ListStates } from '../ui/list-states';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { SecretOnce } from '../ui/secret-once';
import { useKeysetList } from '../ui/use-keyset-list';
import { endpointState } from '../webhooks';

/** The most of a response body shown (the API keeps at most this much of each answer). */
const EXCERPT_MAX = 1_000;

type Busy = 'enable' | 'disable' | 'rotate' | 'delete';

/** One webhook endpoint: its settings, enable / disable, secret rotation, deletion, and its deliveries. */
export function WebhookEndpointScreen({ id }: { id: number }) {
  const api = useApi();
  const [endpoint, setEndpoint] = useState<WebhookEndpoint>();
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState<Busy>();
  const [asking, setAsking] = useState<'rotate' | 'delete'>();
  const [dialogProblem, setDialogProblem] = useState<Problem>();
  const [rotated, setRotated] = useState<RotatedSecret>();
  const [deleted, setDeleted] = useState(false);
  const [notice, setNotice] = useState('');

  const reload = useCallback(async () => {
    setLoading(true);
    setProblem(undefined);
    const { data, error, response } = await api.orders.GET('/webhook-endpoints/{id}', {
      params: { path: { id } },
    });
    setLoading(false);
    if (data) setEndpoint(data);
    else setProblem(problemOf(error, response));
  }, [api, id]);

  useEffect(() => {
    void reload();
  }, [reload]);

  async function setEnabled(enabled: boolean) {
    setBusy(enabled ? 'enable' : 'disable');
    setProblem(undefined);
    const { data, error, response } = await api.orders.PATCH('/webhook-endpoints/{id}', {
      params: { path: { id } },
      body: { enabled },
    });
    setBusy(undefined);
    if (data) {
      setEndpoint(data);
      setNotice(enabled ? 'Endpoint enabled: new events are delivered again.' : 'Endpoint disabled.');
    } else {
      setProblem(problemOf(error, response));
    }
  }

  async function rotate() {
    setBusy('rotate');
    setDialogProblem(undefined);
    const { data, error, response } = await api.orders.POST('/webhook-endpoints/{id}/rotate-secret', {
      params: { path: { id } },
    });
    setBusy(undefined);
    if (data) {
      setAsking(undefined);
      setRotated(data);
      setNotice('Secret rotated.');
      void reload();
    } else {
      setDialogProblem(problemOf(error, response));
    }
  }

  async function remove() {
    setBusy('delete');
    setDialogProblem(undefined);
    const { error, response } = await api.orders.DELETE('/webhook-endpoints/{id}', {
      params: { path: { id } },
    });
    setBusy(undefined);
    if (response.ok) {
      setAsking(undefined);
      setDeleted(true);
    } else {
      setDialogProblem(problemOf(error, response));
    }
  }

  const back = (
    <p>
      <a href={routeHref({ name: 'webhooks' })}>Back to webhooks</a>
    </p>
  );
  if (deleted) {
    return (
      <>
        <h1 tabIndex={-1}>Webhook endpoint #{id}</h1>
        <p className="notice" role="status">
          Endpoint #{id} deleted: it receives nothing more, and its pending deliveries are dropped.
        </p>
        {back}
      </>
    );
  }
  if (!endpoint) {
    return (
      <>
        <h1 tabIndex={-1}>Webhook endpoint #{id}</h1>
        {loading && (
          <p className="muted" role="status">
            Loading…
          </p>
        )}
        {problem && <ProblemAlert problem={problem} onRetry={() => void reload()} />}
        {back}
      </>
    );
  }

  return (
    <>
      <p className="breadcrumb">
        <a href={routeHref({ name: 'webhooks' })}>Webhooks</a> / #{endpoint.id}
      </p>
      <ScreenHeader
        title={
          <>
            Webhook endpoint #{endpoint.id}{' '}
            <span className={endpoint.enabled ? 'badge badge-enabled' : 'badge badge-disabled'}>
              {endpoint.enabled ? 'ENABLED' : 'DISABLED'}
            </span>
          </>
        }
      >
        <button type="button" className="button secondary" onClick={() => void reload()} disabled={loading}>
          {loading ? 'Reloading…' : 'Reload'}
        </button>
      </ScreenHeader>
      <p className="notice" role="status">
        {notice}
      </p>
      {rotated && (
        <SecretOnce title="New signing secret" secret={rotated.secret} onDone={() => setRotated(undefined)}>
          <p>
            The previous secret still signs deliveries alongside the new one until{' '}
            <strong>{formatDateTime(rotated.previous_secret_expires_at)}</strong>: switch the receiver to the
            new secret before then.
          </p>
        </SecretOnce>
      )}

      <dl className="facts card">
        <div>
          <dt>URL</dt>
          <dd className="url">
            <code>{endpoint.url}</code>
          </dd>
        </div>
        <div>
          <dt>State</dt>
          <dd>{endpointState(endpoint)}</dd>
        </div>
        <div>
          <dt>Event types</dt>
          <dd>{endpoint.event_types.join(', ')}</dd>
        </div>
        {endpoint.description && (
          <div>
            <dt>Description</dt>
            <dd>{endpoint.description}</dd>
          </div>
        )}
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(endpoint.created_at)}</dd>
        </div>
        {endpoint.secret_rotated_at && (
          <div>
            <dt>Secret rotated</dt>
            <dd>
              {formatDateTime(endpoint.secret_rotated_at)}
              {endpoint.previous_secret_expires_at &&
                Date.parse(endpoint.previous_secret_expires_at) > Date.now() && (
                  <> (previous secret signs until {formatDateTime(endpoint.previous_secret_expires_at)})</>
                )}
            </dd>
          </div>
        )}
      </dl>

      {problem && <ProblemAlert problem={problem} />}
      <div className="actions">
        {endpoint.enabled ? (
          <button
            type="button"
            className="button secondary"
            disabled={busy !== undefined}
            onClick={() => void setEnabled(false)}
          >
            {busy === 'disable' ? 'Disabling…' : 'Disable endpoint'}
          </button>
        ) : (
          <button
            type="button"
            className="button primary"
            disabled={busy !== undefined}
            onClick={() => void setEnabled(true)}
          >
            {busy === 'enable' ? 'Enabling…' : 'Enable endpoint'}
          </button>
        )}
        <button
          type="button"
          className="button secondary"
          disabled={busy !== undefined}
          onClick={() => {
            setDialogProblem(undefined);
            setAsking('rotate');
          }}
        >
          Rotate secret
        </button>
        <button
          type="button"
          className="button danger-outline"
          disabled={busy !== undefined}
          onClick={() => {
            setDialogProblem(undefined);
            setAsking('delete');
          }}
        >
          Delete endpoint
        </button>
      </div>

      <Deliveries endpointId={endpoint.id} />

      <ConfirmDialog
        open={asking === 'rotate'}
        title={`Rotate the secret of endpoint #${endpoint.id}?`}
        confirmLabel="Rotate secret"
        busy={busy === 'rotate'}
        onConfirm={() => void rotate()}
        onClose={() => setAsking(undefined)}
      >
        <p>
          A new secret is made and shown once. The previous one keeps signing alongside it for a while, so the
          receiver can switch without missing a delivery.
        </p>
        {dialogProblem && <ProblemAlert problem={dialogProblem} />}
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === 'delete'}
        title={`Delete endpoint #${endpoint.id}?`}
        confirmLabel="Delete endpoint"
        danger
        busy={busy === 'delete'}
        onConfirm={() => void remove()}
        onClose={() => setAsking(undefined)}
      >
        <p>
          <code>{endpoint.url}</code> receives no more events and its pending deliveries are dropped. This
          cannot be undone.
        </p>
        {dialogProblem && <ProblemAlert problem={dialogProblem} />}
      </ConfirmDialog>
    </>
  );
}

function Deliveries({ endpointId }: { endpointId: number }) {
  const api = useApi();
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      api.orders.GET('/webhook-endpoints/{id}/deliveries', {
        params: { path: { id: endpointId }, query: { cursor, limit: PAGE_SIZE } },
      }),
    [api, endpointId],
  );
  const list = useKeysetList(fetchPage);
  const [retrying, setRetrying] = useState<number>();
  const [retryProblem, setRetryProblem] = useState<Problem>();
  const [notice, setNotice] = useState('');

  async function retry(delivery: WebhookDelivery) {
    setRetrying(delivery.id);
    setRetryProblem(undefined);
    const { data, error, response } = await api.orders.POST(
      '/webhook-endpoints/{id}/deliveries/{delivery_id}/retry',
      { params: { path: { id: endpointId, delivery_id: delivery.id } } },
    );
    setRetrying(undefined);
    if (data) {
      list.upsert(data, 'in-place');
      setNotice(`Delivery #${delivery.id} (${delivery.event_type}) scheduled for a new attempt now.`);
    } else {
      setRetryProblem(problemOf(error, response));
    }
  }

  return (
    <section aria-labelledby="deliveries-heading">
      <div className="section-header">
        <h2 id="deliveries-heading">Recent deliveries</h2>
        <button type="button" className="button secondary small" onClick={list.retry}>
          Reload deliveries
        </button>
      </div>
      <p className="notice" role="status">
        {notice}
      </p>
      {retryProblem && <ProblemAlert problem={retryProblem} />}
      {list.items.length > 0 && (
        <table className="deliveries">
          <caption className="visually-hidden">Deliveries to endpoint #{endpointId}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Delivery</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col" className="number">
                Attempts
              </th>
              <th scope="col">Last answer</th>
              <th scope="col" className="number">
                Duration
              </th>
              <th scope="col">Next attempt</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((delivery) => (
              <tr key={delivery.id}>
                <td>#{delivery.id}</td>
                <td>
                  <code>{delivery.event_type}</code>
                  <p className="hint">
                    {formatPreciseDateTime(delivery.created_at)} · <code>{delivery.event_id}</code>
                  </p>
                </td>
                <td>
                  <span className={`badge badge-${delivery.status.toLowerCase()}`}>{delivery.status}</span>
                </td>
                <td className="number">{delivery.attempts}</td>
                <td>
                  <LastAnswer delivery={delivery} />
                </td>
                <td className="number">
                  {delivery.last_attempt ? (
                    `${delivery.last_attempt.duration_ms} ms`
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>
                  {delivery.next_attempt_at ? (
                    formatPreciseDateTime(delivery.next_attempt_at)
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="button secondary small"
                    aria-label={`Retry delivery #${delivery.id}`}
                    disabled={retrying !== undefined}
                    onClick={() => void retry(delivery)}
                  >
                    {retrying === delivery.id ? 'Retrying…' : 'Retry'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListStates list={list} empty="No deliveries yet: events this endpoint subscribes to show up here." />
    </section>
  );
}

/** The last attempt's answer: its status code or error, and a bounded excerpt of the body. */
function LastAnswer({ delivery }: { delivery: WebhookDelivery }) {
  const attempt = delivery.last_attempt;
  if (!attempt) return <span className="muted">Not attempted yet</span>;
  const excerpt = (attempt.response_excerpt ?? '').slice(0, EXCERPT_MAX);
  return (
    <>
      <span>
        {attempt.response_status !== null ? `HTTP ${attempt.response_status}` : 'No answer'}
        {attempt.error && <> · {attempt.error}</>}
      </span>
      <p className="hint">{formatPreciseDateTime(attempt.at)}</p>
      {excerpt && (
        <details className="excerpt">
          <summary>Response excerpt ({excerpt.length} characters)</summary>
          <pre>{excerpt}</pre>
        </details>
      )}
    </>
  );
}
