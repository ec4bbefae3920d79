import { useCallback, useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { fieldErrorsOf, problemOf } from '../api/problem';
import { PAGE_SIZE } from '../config';
import type { Customer, CustomerCreate, Problem } from '../contract-types';
import { formatDateTime } from '../dates';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { Field } from '../ui/field';
import { ListStates } from '../ui/list-states';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { SearchForm } from '../ui/search-form';
import { useKeysetList } from '../ui/use-keyset-list';

export function CustomersScreen() {
  const api = useApi();
  // An object, so that searching the same text again reads the list again.
  const [search, setSearch] = useState({ text: '' });
  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      api.customers.GET('/customers', {
        params: { query: { search: search.text || undefined, cursor, limit: PAGE_SIZE } },
      }),
    [api, search],
  );
  const list = useKeysetList(fetchPage);
  const [editing, setEditing] = useState<Customer | 'new'>();
  const [deleting, setDeleting] = useState<Customer>();
  const [deleteProblem, setDeleteProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState('');

  async function deleteCustomer(customer: Customer) {
    setBusy(true);
    const { error, response } = await api.customers.DELETE('/customers/{id}', {
      params: { path: { id: customer.id } },
    });
    setBusy(false);
    if (response.ok) {
      list.remove(customer.id);
      setDeleting(undefined);
      setNotice(`Customer ${customer.name} deleted.`);
    } else {
      setDeleteProblem(problemOf(error, response));
    }
  }

  return (
    <>
      <ScreenHeader title="Customers">
        <button type="button" className="button primary" onClick={() => setEditing('new')}>
          New customer
        </button>
      </ScreenHeader>
      <p className="notice" role="status">
        {notice}
      </p>
      {editing && (
        <CustomerForm
          key={editing === 'new' ? 'new' : editing.id}
          customer={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onSaved={(customer, created) => {
            list.upsert(customer, created ? 'first' : 'in-place');
            setEditing(undefined);
            setNotice(`Customer ${customer.name} ${created ? 'created' : 'saved'}.`);
          }}
        />
      )}
      <SearchForm
        label="Search customers"
        hint="Part of a name or an email."
        onSearch={(text) => setSearch({ text })}
      />
      {list.items.length > 0 && (
        <table>
          <caption className="visually-hidden">
            Customers{search.text && ` matching “${search.text}”`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Phone</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((customer) => (
              <tr key={customer.id}>
                <td>{customer.name}</td>
                <td>{customer.email}</td>
                <td>{customer.phone ?? <span className="muted">—</span>}</td>
                <td>{formatDateTime(customer.created_at)}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="button secondary small"
                    aria-label={`Edit ${customer.name}`}
                    onClick={() => setEditing(customer)}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className="button danger-outline small"
                    aria-label={`Delete ${customer.name}`}
                    onClick={() => {
                      setDeleteProblem(undefined);
                      setDeleting(customer);
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListStates
        list={list}
        empty={search.text ? `No customers match “${search.text}”.` : 'No customers yet.'}
      />
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete ${deleting?.name ?? 'customer'}?`}
        confirmLabel="Delete customer"
        danger
        busy={busy}
        onConfirm={() => deleting && void deleteCustomer(deleting)}
        onClose={() => setDeleting(undefined)}
      >
        <p>
          The customer disappears from lists and cannot get new orders. Existing orders keep referring to it,
          and its email can be used for another customer.
        </p>
        {deleteProblem && <ProblemAlert problem={deleteProblem} />}
      </ConfirmDialog>
    </>
  );
}

interface CustomerFormProps {
  /** The customer to edit; a new one when absent. */
  customer: Customer | undefined;
  onSaved(customer: Customer, created: boolean): void;
  onCancel(): void;
}

function CustomerForm({ customer, onSaved, onCancel }: CustomerFormProps) {
  const api = useApi();
  const [name, setName] = useState(customer?.name ?? '');
  const [email, setEmail] = useState(customer?.email ?? '');
  const [phone, setPhone] = useState(customer?.phone ?? '');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const errors = fieldErrorsOf(problem, {
    operation: customer ? ['customers', 'PUT /customers/{id}'] : ['customers', 'POST /customers'],
    conflicts: { EMAIL_TAKEN: 'email' },
  });

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    // An empty phone is no phone (PUT replaces every field, so null clears it).
    const body: CustomerCreate = { name, email, phone: phone === '' ? null : phone };
    const result = customer
      ? await api.customers.PUT('/customers/{id}', { params: { path: { id: customer.id } }, body })
      : await api.customers.POST('/customers', { body });
    setBusy(false);
    if (result.data) onSaved(result.data, !customer);
    else setProblem(problemOf(result.error, result.response));
  }

  return (
    <form className="card form" onSubmit={save} noValidate aria-busy={busy}>
      <h2>{customer ? `Edit ${customer.name}` : 'New customer'}</h2>
      <div className="form-grid">
        <Field label="Name" error={errors.name}>
          {(control) => <input {...control} value={name} onChange={(event) => setName(event.target.value)} />}
        </Field>
        <Field label="Email" error={errors.email}>
          {(control) => (
            <input
              {...control}
              type="email"
              autoComplete="off"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
          )}
        </Field>
        <Field label="Phone (optional)" error={errors.phone} hint="Digits, spaces, + ( ) -">
          {(control) => (
            <input {...control} type="tel" value={phone} onChange={(event) => setPhone(event.target.value)} />
          )}
        </Field>
      </div>
      {problem && (
        <ProblemAlert
          problem={problem}
          fieldsShown={['body.name', 'body.email', 'body.phone']}
          summary={problem.code === 'EMAIL_TAKEN' ? 'The email is taken: see the Email field.' : undefined}
        />
      )}
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Saving…' : customer ? 'Save customer' : 'Create customer'}
        </button>
        <button type="button" className="button secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
