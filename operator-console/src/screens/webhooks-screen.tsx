import { useCallback, useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { fieldErrorsOf, problemOf } from '../api/problem';
import { PAGE_SIZE } from '../config';
import type { Problem, WebhookEndpoint, WebhookEventType } from '../contract-types';
import { formatDateTime } from '../dates';
import { routeHref } from '../router';
import { Field } from '../ui/field';
import { ListStates } from '../ui/list-states';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { SecretOnce } from '../ui/secret-once';
import { useKeysetList } from '../ui/use-keyset-list';
import { WEBHOOK_EVENT_TYPES, endpointState } from '../webhooks';

/** The webhook endpoints (newest first), and registering one, whose secret is shown once. */
export function WebhooksScreen() {
  const api = useApi();
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      api.orders.GET('/webhook-endpoints', { params: { query: { cursor, limit: PAGE_SIZE } } }),
    [api],
  );
  const list = useKeysetList(fetchPage);
  const [registering, setRegistering] = useState(false);
  const [created, setCreated] = useState<{ endpoint: WebhookEndpoint; secret: string }>();
  const [notice, setNotice] = useState('');

  return (
    <>
      <ScreenHeader title="Webhooks">
        <button
          type="button"
          className="button primary"
          onClick={() => {
            setCreated(undefined);
            setRegistering(true);
          }}
        >
          New endpoint
        </button>
      </ScreenHeader>
      <p className="hint">
        Endpoints receive the events of both APIs as signed HTTPS POSTs (Standard Webhooks), retried on a
        schedule; an endpoint that keeps failing is disabled.
      </p>
      <p className="notice" role="status">
        {notice}
      </p>
      {created && (
        <SecretOnce
          title={`Endpoint #${created.endpoint.id} registered`}
          secret={created.secret}
          onDone={() => setCreated(undefined)}
        >
          <p>
            It signs every delivery to <code>{created.endpoint.url}</code>; verify the{' '}
            <code>webhook-signature</code> header with it.
          </p>
        </SecretOnce>
      )}
      {registering && (
        <RegisterForm
          onCancel={() => setRegistering(false)}
          onRegistered={(endpoint, secret) => {
            list.upsert(withoutSecret(endpoint), 'first');
            setRegistering(false);
            setCreated({ endpoint, secret });
            setNotice(`Endpoint ${endpoint.url} registered.`);
          }}
        />
      )}
      {list.items.length > 0 && (
        <table>
          <caption className="visually-hidden">Webhook endpoints</caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">URL</th>
              <th scope="col">Event types</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((endpoint) => (
              <tr key={endpoint.id}>
                <td>
                  <a href={routeHref({ name: 'webhook', id: endpoint.id })}>#{endpoint.id}</a>
                </td>
                <td className="url">
                  <code>{endpoint.url}</code>
                  {endpoint.description && <p className="hint">{endpoint.description}</p>}
                </td>
                <td>{endpoint.event_types.join(', ')}</td>
                <td>
                  <span className={endpoint.enabled ? 'badge badge-enabled' : 'badge badge-disabled'}>
                    {endpoint.enabled ? 'ENABLED' : 'DISABLED'}
                  </span>
                  {!endpoint.enabled && endpoint.disabled_reason && (
                    <p className="hint">{endpointState(endpoint)}</p>
                  )}
                </td>
                <td>{formatDateTime(endpoint.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListStates list={list} empty="No webhook endpoints yet." />
    </>
  );
}

/** The endpoint as listed: whatever the registration answer carried, never its secret. */
function withoutSecret(endpoint: WebhookEndpoint & { secret?: string }): WebhookEndpoint {
  const listed = { ...endpoint };
  delete listed.secret;
  return listed;
}

interface RegisterFormProps {
  onRegistered(endpoint: WebhookEndpoint, secret: string): void;
  onCancel(): void;
}

function RegisterForm({ onRegistered, onCancel }: RegisterFormProps) {
  const api = useApi();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [types, setTypes] = useState<Set<WebhookEventType>>(new Set());
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const errors = fieldErrorsOf(problem);
  // The URL's rules (INVALID_WEBHOOK_URL) belong next to the URL too.
  const urlError = errors.url ?? (problem?.code === 'INVALID_WEBHOOK_URL' ? problem.detail : undefined);
  const typesError = Object.entries(errors)
    .filter(([field]) => field === 'event_types' || field.startsWith('event_types.'))
    .map(([, message]) => message)
    .join('; ');

  async function register(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const text = description.trim();
    const { data, error, response } = await api.orders.POST('/webhook-endpoints', {
      body: {
        url: url.trim(),
        // In the order of the list, so the same choice always sends the same body.
        event_types: WEBHOOK_EVENT_TYPES.filter((type) => types.has(type)),
        ...(text ? { description: text } : {}),
      },
    });
    setBusy(false);
    if (data) onRegistered(data, data.secret);
    else setProblem(problemOf(error, response));
  }

  function toggle(type: WebhookEventType, checked: boolean) {
    setTypes((chosen) => {
      const next = new Set(chosen);
      if (checked) next.add(type);
      else next.delete(type);
      return next;
    });
  }

  return (
    <form className="card form" onSubmit={register} noValidate aria-busy={busy}>
      <h2>Register a webhook endpoint</h2>
      <div className="form-grid">
        <Field
          label="URL"
          error={urlError}
          hint="HTTPS, on a public address (the API refuses private, loopback and metadata addresses)."
        >
          {(control) => (
            <input
              {...control}
              type="url"
              autoComplete="off"
              placeholder="https://hooks.example.com/b2b"
              value={url}
              onChange={(event) => setUrl(event.target.value)}
            />
          )}
        </Field>
        <Field label="Description (optional)" error={errors.description}>
          {(control) => (
            <input
              {...control}
              maxLength={500}
              value={description}
              onChange={(event) => setDescription(event.target.value)}
            />
          )}
        </Field>
      </div>
      <fieldset
        className={typesError ? 'event-types field-invalid' : 'event-types'}
        aria-describedby={typesError ? 'event-types-error' : undefined}
      >
        <legend>Event types</legend>
        <div className="checkboxes">
          {WEBHOOK_EVENT_TYPES.map((type) => (
            <label key={type}>
              <input
                type="checkbox"
                checked={types.has(type)}
                onChange={(event) => toggle(type, event.target.checked)}
              />{' '}
              <code>{type}</code>
            </label>
          ))}
        </div>
        {typesError && (
          <p id="event-types-error" className="field-error">
            {typesError}
          </p>
        )}
      </fieldset>
      {problem && (
        <ProblemAlert
          problem={problem}
          fieldsShown={(problem.errors ?? [])
            .map((error) => error.field)
            .filter(
              (field) =>
                field === 'body.url' || field === 'body.description' || field.startsWith('body.event_types'),
            )}
        />
      )}
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Registering…' : 'Register endpoint'}
        </button>
        <button type="button" className="button secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
