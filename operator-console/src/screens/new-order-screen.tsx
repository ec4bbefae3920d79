import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { fieldErrorsOf, problemOf } from '../api/problem';
import type { Customer, PlacedOrder, Problem, Product } from '../contract-types';
import { formatCents, parseWholeNumber } from '../money';
import { QTY_HINT, parseQty } from '../order-quantity';
import { nextAttemptAfter } from '../order-rules';
import { randomId } from '../random-id';
import { routeHref } from '../router';
import { Field } from '../ui/field';
import { Combobox, type SearchResult } from '../ui/combobox';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';

/** Options a picker lists for what was typed: enough to choose from, few enough to read. */
const PICKER_SIZE = 10;

const PLACE_ORDER = ['orchestrator', 'POST /orchestrator/create-and-confirm-order'] as const;

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
  const [placed, setPlaced] = useState<PlacedOrder>();
  const [busy, setBusy] = useState(false);
  // Bumped after an order is placed: the product picker reads its product's stock again.
  const [stockVersion, setStockVersion] = useState(0);
  const errors = fieldErrorsOf(problem, { operation: [...PLACE_ORDER] });

  /** Every change makes it another order: a new key, and the last answer no longer applies. */
  function changeOrder(change: () => void) {
    change();
    setIdempotencyKey(undefined);
    setProblem(undefined);
    setPlaced(undefined);
  }

  // Only quantities the contract allows are priced: a line out of range leaves no total to show.
  const quantities = lines.map((line) => parseQty(line.qty));
  const estimatedTotal = quantities.every((qty) => qty !== undefined)
    ? lines.reduce((total, line, index) => total + quantities[index]! * line.product.price_cents, 0)
    : undefined;

  async function placeOrder() {
    if (!customer) return;
    // Not sent: the lines out of the contract's range already say so in its words.
    if (quantities.some((qty) => qty === undefined)) return;

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
      setStockVersion((version) => version + 1);
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
          onClear={() => changeOrder(() => setCustomer(undefined))}
        />
      </section>

      <section className="card" aria-labelledby="order-lines">
        <h2 id="order-lines">2. Products</h2>
        <ProductPicker
          stockVersion={stockVersion}
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
                const qty = quantities[index];
                const error =
                  (qty === undefined ? QTY_HINT : undefined) ??
                  errors[`items.${index}.qty`] ??
                  errors[`items.${index}.product_id`];
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
                  {estimatedTotal === undefined ? '—' : formatCents(estimatedTotal)}
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
          summary={
            problem.code === 'INSUFFICIENT_STOCK' && problem.errors?.length
              ? 'Not enough stock for the lines marked in the order.'
              : undefined
          }
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

/** A customer found by typing part of a name or an email. */
function CustomerPicker(props: {
  selected: Customer | undefined;
  error: string | undefined;
  onSelect(customer: Customer): void;
  onClear(): void;
}) {
  const api = useApi();
  const search = useCallback(
    async (text: string): Promise<SearchResult<Customer>> => {
      const { data, error, response } = await api.customers.GET('/customers', {
        params: { query: { search: text || undefined, limit: PICKER_SIZE } },
      });
      return data ? { items: data.data } : { problem: problemOf(error, response) };
    },
    [api],
  );
  return (
    <Combobox
      label="Customer"
      hint="Type part of a name or an email, then choose with the arrow keys and Enter."
      error={props.error}
      search={search}
      itemKey={(customer) => customer.id}
      itemText={(customer) => `${customer.name} — ${customer.email}`}
      selected={props.selected}
      onSelect={props.onSelect}
      onClear={props.onClear}
      noMatches="No customers match"
    />
  );
}

/**
 * A product found by typing part of a SKU or a name, and the quantity to add. The chosen
 * product is read again whenever `stockVersion` changes (after an order is placed), so the
 * stock shown is the API's, not the one of the search.
 */
function ProductPicker({
  stockVersion,
  onAdd,
}: {
  stockVersion: number;
  onAdd(product: Product, qty: number): void;
}) {
  const api = useApi();
  const [selected, setSelected] = useState<Product>();
  const [qty, setQty] = useState('1');
  const [qtyError, setQtyError] = useState<string>();
  const [productError, setProductError] = useState<string>();
  const selectedId = selected?.id;

  const search = useCallback(
    async (text: string): Promise<SearchResult<Product>> => {
      const { data, error, response } = await api.orders.GET('/products', {
        params: { query: { search: text || undefined, limit: PICKER_SIZE } },
      });
      return data ? { items: data.data } : { problem: problemOf(error, response) };
    },
    [api],
  );

  useEffect(() => {
    if (stockVersion === 0 || selectedId === undefined) return;
    let isCurrent = true;
    void api.orders.GET('/products/{id}', { params: { path: { id: selectedId } } }).then(({ data }) => {
      if (isCurrent && data) setSelected(data);
    });
    return () => {
      isCurrent = false;
    };
  }, [api, stockVersion, selectedId]);

  function add(event: FormEvent) {
    event.preventDefault();
    const units = parseQty(qty);
    setProductError(selected ? undefined : 'Choose a product first.');
    setQtyError(units === undefined ? QTY_HINT : undefined);
    if (!selected || units === undefined) return;
    onAdd(selected, units);
    setQty('1');
  }

  return (
    <form className="add-line add-line-picker" onSubmit={add} noValidate>
      <Combobox
        label="Product"
        hint={
          selected
            ? `${formatCents(selected.price_cents)} each, ${selected.stock} in stock.`
            : 'Type part of a SKU or a name, then choose with the arrow keys and Enter.'
        }
        error={productError}
        search={search}
        itemKey={(product) => product.id}
        itemText={(product) => `${product.sku} — ${product.name}`}
        renderItem={(product) =>
          `${product.sku} — ${product.name} (${formatCents(product.price_cents)}, ${product.stock} in stock)`
        }
        selected={selected}
        onSelect={(product) => {
          setSelected(product);
          setProductError(undefined);
        }}
        onClear={() => setSelected(undefined)}
        noMatches="No products match"
      />
      {/* Out of the contract's range: said while typing, not after Add line. */}
      <Field
        label="Quantity"
        error={qtyError ?? (qty.trim() !== '' && parseQty(qty) === undefined ? QTY_HINT : undefined)}
      >
        {(control) => (
          <input
            {...control}
            className="qty"
            inputMode="numeric"
            value={qty}
            onChange={(event) => {
              setQty(event.target.value);
              setQtyError(undefined);
            }}
          />
        )}
      </Field>
      <button type="submit" className="button secondary">
        Add line
      </button>
    </form>
  );
}
