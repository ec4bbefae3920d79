import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { fieldErrorsOf, problemOf } from '../api/problem';
import type { Customer, PlacedOrder, Problem, Product } from '../contract-types';
import { formatCents, parseWholeNumber } from '../money';
import { nextAttemptAfter } from '../order-rules';
import { randomId } from '../random-id';
import { routeHref } from '../router';
import { Field } from '../ui/field';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { SearchForm } from '../ui/search-form';

/** Options shown by each picker; searching narrows them. */
const PICKER_SIZE = 25;

interface Line {
  product: Product;
  /** As typed; read when the order is placed. */
  qty: string;
}

/**
 * A new order for one customer, placed through the orchestrator (create and confirm in one
 * call). Each request to place this order carries one idempotency key: when its answer is
 * lost, or is one a retry can settle (nextAttemptAfter: ORDER_STATE_UNKNOWN, 503, 504, …),
 * placing it again sends the same key, so the orchestrator returns the order it may
 * already have created instead of creating a second one. The key is dropped when the order
 * is placed, after a definite failure (ORDER_CONFIRMATION_FAILED, INSUFFICIENT_STOCK, a 400,
 * …: the same key could only repeat it), or when the operator changes the order (another
 * customer or line).
 */
export function NewOrderScreen() {
  const api = useApi();
  const [customer, setCustomer] = useState<Customer>();
  const [lines, setLines] = useState<Line[]>([]);
  const [idempotencyKey, setIdempotencyKey] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const [qtyErrors, setQtyErrors] = useState<Record<number, string>>({});
  const [placed, setPlaced] = useState<PlacedOrder>();
  const [busy, setBusy] = useState(false);
  const errors = fieldErrorsOf(problem);

  /** Every change makes it another order: a new key, and the last answer no longer applies. */
  function changeOrder(change: () => void) {
    change();
    setIdempotencyKey(undefined);
    setProblem(undefined);
    setPlaced(undefined);
  }

  const estimatedTotal = lines.reduce(
    (total, line) => total + (parseWholeNumber(line.qty) ?? 0) * line.product.price_cents,
    0,
  );

  async function placeOrder() {
    if (!customer) return;
    const quantities = lines.map((line) => parseWholeNumber(line.qty));
    const unreadable: Record<number, string> = {};
    quantities.forEach((qty, index) => {
      if (qty === undefined) unreadable[index] = 'Enter a whole number.';
    });
    setQtyErrors(unreadable);
    if (Object.keys(unreadable).length > 0) return;

    const key = idempotencyKey ?? randomId();
    setIdempotencyKey(key);
    setBusy(true);
    setProblem(undefined);
    const { data, error, response } = await api.orchestrator.POST('/orchestrator/create-and-confirm-order', {
      body: {
        customer_id: customer.id,
        items: lines.map((line, index) => ({ product_id: line.product.id, qty: quantities[index]! })),
        idempotency_key: key,
      },
    });
    setBusy(false);
    if (data) {
      setPlaced(data);
      setLines([]);
      setIdempotencyKey(undefined);
    } else {
      const failure = problemOf(error, response);
      setProblem(failure);
      if (nextAttemptAfter(failure) === 'new-request') setIdempotencyKey(undefined);
    }
  }

  return (
    <>
      <ScreenHeader title="New order" />
      {placed && (
        <div className="card success" role="status">
          <p>
            <strong>Order #{placed.data.order.id} placed and confirmed</strong> for{' '}
            {placed.data.customer.name}: total {formatCents(placed.data.order.total_cents)}.
          </p>
          <p>
            <a href={routeHref({ name: 'order', id: placed.data.order.id })}>
              Open order #{placed.data.order.id}
            </a>
            <span className="muted"> · correlation id {placed.correlationId}</span>
          </p>
        </div>
      )}

      <section className="card" aria-labelledby="order-customer">
        <h2 id="order-customer">1. Customer</h2>
        <CustomerPicker
          selected={customer}
          error={errors.customer_id}
          onSelect={(chosen) => changeOrder(() => setCustomer(chosen))}
        />
      </section>

      <section className="card" aria-labelledby="order-lines">
        <h2 id="order-lines">2. Products</h2>
        <ProductPicker
          onAdd={(product, qty) =>
            changeOrder(() =>
              setLines((current) => {
                // One line per product (the API refuses repeated products): add to its quantity.
                const existing = current.find((line) => line.product.id === product.id);
                if (!existing) return [...current, { product, qty: String(qty) }];
                return current.map((line) =>
                  line === existing
                    ? { product, qty: String((parseWholeNumber(line.qty) ?? 0) + qty) }
                    : line,
                );
              }),
            )
          }
        />
        {lines.length === 0 ? (
          <p className="empty">No products yet: find one above and add it.</p>
        ) : (
          <table className="lines">
            <caption className="visually-hidden">Order lines</caption>
            <thead>
              <tr>
                <th scope="col">SKU</th>
                <th scope="col">Product</th>
                <th scope="col" className="number">
                  Unit price
                </th>
                <th scope="col" className="number">
                  Quantity
                </th>
                <th scope="col" className="number">
                  Subtotal
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((line, index) => {
                const qty = parseWholeNumber(line.qty);
                const error =
                  qtyErrors[index] ?? errors[`items.${index}.qty`] ?? errors[`items.${index}.product_id`];
                return (
                  <tr key={line.product.id}>
                    <td>
                      <code>{line.product.sku}</code>
                    </td>
                    <td>{line.product.name}</td>
                    <td className="number">{formatCents(line.product.price_cents)}</td>
                    <td className="number">
                      <input
                        className="qty"
                        inputMode="numeric"
                        aria-label={`Quantity of ${line.product.sku}`}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={error ? `line-${line.product.id}-error` : undefined}
                        value={line.qty}
                        onChange={(event) =>
                          changeOrder(() =>
                            setLines((current) =>
                              current.map((other) =>
                                other === line ? { ...line, qty: event.target.value } : other,
                              ),
                            ),
                          )
                        }
                      />
                      {error && (
                        <p id={`line-${line.product.id}-error`} className="field-error">
                          {error}
                        </p>
                      )}
                    </td>
                    <td className="number">
                      {qty === undefined ? '—' : formatCents(qty * line.product.price_cents)}
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        className="button secondary small"
                        aria-label={`Remove ${line.product.sku}`}
                        onClick={() =>
                          changeOrder(() => setLines((current) => current.filter((other) => other !== line)))
                        }
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={4}>
                  Total
                </th>
                <td className="number total" data-testid="order-total">
                  {formatCents(estimatedTotal)}
                </td>
                <td />
              </tr>
            </tfoot>
          </table>
        )}
        <p className="hint">
          The total uses the prices shown; the order is priced when it is placed, and its confirmation shows
          the final total.
        </p>
      </section>

      {problem && (
        <ProblemAlert
          problem={problem}
          fieldsShown={[
            'body.customer_id',
            ...lines.flatMap((_, index) => [`body.items.${index}.qty`, `body.items.${index}.product_id`]),
          ]}
        >
          {idempotencyKey ? (
            <p className="hint">
              Placing the order again resends request key <code>{idempotencyKey}</code>, so it is placed at
              most once. Changing the order starts a new request.
            </p>
          ) : (
            <p className="hint">This answer is final: placing the order starts a new request.</p>
          )}
        </ProblemAlert>
      )}
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={!customer || lines.length === 0 || busy}
          onClick={() => void placeOrder()}
        >
          {busy ? 'Placing order…' : problem && idempotencyKey ? 'Place order again' : 'Place order'}
        </button>
        {!customer && <span className="hint">Choose a customer first.</span>}
      </div>
    </>
  );
}

/** Search results as a select: one call per search, and a native, keyboard-friendly control. */
function CustomerPicker(props: {
  selected: Customer | undefined;
  error: string | undefined;
  onSelect(customer: Customer): void;
}) {
  const api = useApi();
  const [search, setSearch] = useState({ text: '' });
  const [options, setOptions] = useState<Customer[]>([]);
  const [problem, setProblem] = useState<Problem>();
  const load = useCallback(async () => {
    setProblem(undefined);
    const { data, error, response } = await api.customers.GET('/customers', {
      params: { query: { search: search.text || undefined, limit: PICKER_SIZE } },
    });
    if (data) setOptions(data.data);
    else setProblem(problemOf(error, response));
  }, [api, search]);
  useEffect(() => {
    void load();
  }, [load]);

  const shown =
    props.selected && !options.some((option) => option.id === props.selected!.id)
      ? [props.selected, ...options]
      : options;
  return (
    <div className="picker">
      <SearchForm
        label="Find customer"
        hint="Part of a name or an email."
        onSearch={(text) => setSearch({ text })}
      />
      <Field label="Customer" error={props.error}>
        {(control) => (
          <select
            {...control}
            value={props.selected?.id ?? ''}
            onChange={(event) => {
              const chosen = shown.find((option) => option.id === Number(event.target.value));
              if (chosen) props.onSelect(chosen);
            }}
          >
            <option value="" disabled>
              {shown.length === 0 ? 'No customers found' : `Choose one of ${shown.length}…`}
            </option>
            {shown.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name} — {option.email}
              </option>
            ))}
          </select>
        )}
      </Field>
      {problem && <ProblemAlert problem={problem} onRetry={() => void load()} />}
    </div>
  );
}

function ProductPicker({ onAdd }: { onAdd(product: Product, qty: number): void }) {
  const api = useApi();
  const [search, setSearch] = useState({ text: '' });
  const [options, setOptions] = useState<Product[]>([]);
  const [selectedId, setSelectedId] = useState<number>();
  const [qty, setQty] = useState('1');
  const [qtyError, setQtyError] = useState<string>();
  const [problem, setProblem] = useState<Problem>();
  const load = useCallback(async () => {
    setProblem(undefined);
    const { data, error, response } = await api.orders.GET('/products', {
      params: { query: { search: search.text || undefined, limit: PICKER_SIZE } },
    });
    if (data) {
      setOptions(data.data);
      setSelectedId(data.data[0]?.id);
    } else {
      setProblem(problemOf(error, response));
    }
  }, [api, search]);
  useEffect(() => {
    void load();
  }, [load]);

  function add(event: FormEvent) {
    event.preventDefault();
    const product = options.find((option) => option.id === selectedId);
    const units = parseWholeNumber(qty);
    setQtyError(units === undefined || units === 0 ? 'Enter a whole number of at least 1.' : undefined);
    if (!product || units === undefined || units === 0) return;
    onAdd(product, units);
    setQty('1');
  }

  return (
    <div className="picker">
      <SearchForm
        label="Find product"
        hint="Part of a SKU or a name."
        onSearch={(text) => setSearch({ text })}
      />
      <form className="add-line" onSubmit={add} noValidate>
        <Field label="Product">
          {(control) => (
            <select
              {...control}
              value={selectedId ?? ''}
              onChange={(event) => setSelectedId(Number(event.target.value))}
              disabled={options.length === 0}
            >
              {options.length === 0 && <option value="">No products found</option>}
              {options.map((option) => (
                <option key={option.id} value={option.id}>
                  {option.sku} — {option.name} ({formatCents(option.price_cents)}, {option.stock} in stock)
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Quantity" error={qtyError}>
          {(control) => (
            <input
              {...control}
              className="qty"
              inputMode="numeric"
              value={qty}
              onChange={(event) => setQty(event.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="button secondary" disabled={options.length === 0}>
          Add line
        </button>
      </form>
      {problem && <ProblemAlert problem={problem} onRetry={() => void load()} />}
    </div>
  );
}
