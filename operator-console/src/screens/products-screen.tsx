import { useCallback, useMemo, useState, type FormEvent } from 'react';
import { useApi } from '../api/context';
import { fieldErrorsOf, problemOf } from '../api/problem';
import { PAGE_SIZE } from '../config';
import type { Problem, Product, ProductUpdate } from '../contract-types';
import { centsToAmountInput, formatCents, parseAmountToCents, parseWholeNumber } from '../money';
import { ignoredNotice, type IgnoredFilter } from '../order-filters';
import { Field } from '../ui/field';
import { ListStates } from '../ui/list-states';
import { ProblemAlert } from '../ui/problem-alert';
import { ScreenHeader } from '../ui/screen-header';
import { SearchForm } from '../ui/search-form';
import { routeHref, useRoute } from '../router';
import { useKeysetList } from '../ui/use-keyset-list';

interface ProductFilters {
  /** Part of a SKU or a name; '' for every product. */
  search: string;
  /** Only products with less stock than this (the dashboard's low-stock tile links here). */
  stockBelow: number | undefined;
}

// The contract's bounds of GET /products (contracts/orders.yaml): `stock_below` 1–1,000,000,000,
// `search` (SearchText in common.yaml) at most 100 characters. Beyond them the API answers 400.
const STOCK_BELOW_MAX = 1_000_000_000;
const SEARCH_MAX_LENGTH = 100;

/**
 * The filters of a route query, and what of it is ignored (named with why, for a notice)
 * rather than sent: a `stock_below` out of the contract's range, a `search` too long for it.
 */
function readFilters(query: string): { filters: ProductFilters; ignored: IgnoredFilter[] } {
  const params = new URLSearchParams(query);
  const ignored: IgnoredFilter[] = [];
  let search = params.get('search') ?? '';
  if (search.length > SEARCH_MAX_LENGTH) {
    ignored.push({
      what: `search "${search.slice(0, 20)}…"`,
      reason: `longer than ${SEARCH_MAX_LENGTH} characters`,
    });
    search = '';
  }
  const stockText = params.get('stock_below') ?? '';
  const stockBelow = /^[1-9]\d{0,9}$/.test(stockText) ? Number(stockText) : undefined;
  if (stockText !== '' && (stockBelow === undefined || stockBelow > STOCK_BELOW_MAX)) {
    ignored.push({
      what: `stock_below ${JSON.stringify(stockText)}`,
      reason: `not a whole number from 1 to ${STOCK_BELOW_MAX.toLocaleString('en-US')}`,
    });
    return { filters: { search, stockBelow: undefined }, ignored };
  }
  return { filters: { search, stockBelow }, ignored };
}

function filtersOf(query: string): ProductFilters {
  return readFilters(query).filters;
}

function queryOf({ search, stockBelow }: ProductFilters): string {
  const params = new URLSearchParams();
  if (search) params.set('search', search);
  if (stockBelow !== undefined) params.set('stock_below', String(stockBelow));
  return params.toString();
}

/**
 * The products, filtered by the route's query (`#/products?search=pal&stock_below=10`). A
 * search is written back to the address with replaceState: a reload or a shared link shows
 * the same list, but typing a search is not a navigation (no history entry, and the focus
 * stays in the search box instead of moving to the heading as a new screen's would).
 */
export function ProductsScreen() {
  const api = useApi();
  const route = useRoute();
  const query = route.name === 'products' ? (route.query ?? '') : '';
  const [filters, setFilters] = useState(() => filtersOf(query));
  // A link followed to another filter while on this screen (hashchange) replaces the filters.
  const [shownQuery, setShownQuery] = useState(query);
  if (query !== shownQuery) {
    setShownQuery(query);
    setFilters(filtersOf(query));
  }
  const ignored = useMemo(() => readFilters(shownQuery).ignored, [shownQuery]);
  // Searching the same text again reads the list again.
  const [searchCount, setSearchCount] = useState(0);
  const { search, stockBelow } = filters;

  function applyFilters(next: ProductFilters) {
    const nextQuery = queryOf(next);
    window.history.replaceState(window.history.state, '', routeHref({ name: 'products', query: nextQuery }));
    setShownQuery(nextQuery);
    setFilters(next);
    setSearchCount((count) => count + 1);
  }

  const fetchPage = useCallback(
    (cursor: string | undefined) =>
      api.orders.GET('/products', {
        params: {
          query: { search: search || undefined, stock_below: stockBelow, cursor, limit: PAGE_SIZE },
        },
      }),
    // searchCount: a repeated search is a new read.
    [api, search, stockBelow, searchCount],
  );
  const list = useKeysetList(fetchPage);
  const [editing, setEditing] = useState<Product | 'new'>();
  const [notice, setNotice] = useState('');

  return (
    <>
      <ScreenHeader title="Products">
        <button type="button" className="button primary" onClick={() => setEditing('new')}>
          New product
        </button>
      </ScreenHeader>
      <p className="notice" role="status">
        {notice}
      </p>
      {editing && (
        <ProductForm
          key={editing === 'new' ? 'new' : editing.id}
          product={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onSaved={(product, message) => {
            list.upsert(product, editing === 'new' ? 'first' : 'in-place');
            setEditing(undefined);
            setNotice(message);
          }}
        />
      )}
      {ignored.length > 0 && (
        <p className="notice warning" role="status">
          {ignoredNotice(ignored)}{' '}
          <button type="button" className="button secondary small" onClick={() => applyFilters(filters)}>
            Remove from the address
          </button>
        </p>
      )}
      <SearchForm
        label="Search products"
        hint="Part of a SKU or a name."
        value={search}
        onSearch={(text) => applyFilters({ ...filters, search: text })}
      />
      {stockBelow !== undefined && (
        <p className="filter-note">
          Showing products with fewer than {stockBelow} in stock.{' '}
          <button
            type="button"
            className="button secondary small"
            onClick={() => applyFilters({ ...filters, stockBelow: undefined })}
          >
            Show all stock levels
          </button>
        </p>
      )}
      {list.items.length > 0 && (
        <table>
          <caption className="visually-hidden">
            Products{search && ` matching “${search}”`}
            {stockBelow !== undefined && ` with fewer than ${stockBelow} in stock`}
          </caption>
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col">Name</th>
              <th scope="col" className="number">
                Price
              </th>
              <th scope="col" className="number">
                Stock
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((product) => (
              <tr key={product.id}>
                <td>
                  <code>{product.sku}</code>
                </td>
                <td>{product.name}</td>
                <td className="number">{formatCents(product.price_cents)}</td>
                <td className="number">{product.stock}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="button secondary small"
                    aria-label={`Edit ${product.sku}`}
                    onClick={() => setEditing(product)}
                  >
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ListStates
        list={list}
        empty={
          search || stockBelow !== undefined
            ? `No products match${search ? ` “${search}”` : ''}${stockBelow !== undefined ? ` with fewer than ${stockBelow} in stock` : ''}.`
            : 'No products yet.'
        }
      />
    </>
  );
}

interface ProductFormProps {
  /** The product to edit; a new one when absent. */
  product: Product | undefined;
  onSaved(product: Product, message: string): void;
  onCancel(): void;
}

/**
 * Creates a product, or changes the name, price and stock of one (the sku never changes).
 * An edit sends only what changed: `stock` sets the stock, so sending an unchanged value
 * would undo what orders took since the form was opened.
 */
function ProductForm({ product, onSaved, onCancel }: ProductFormProps) {
  const api = useApi();
  const [sku, setSku] = useState(product?.sku ?? '');
  const [name, setName] = useState(product?.name ?? '');
  const [price, setPrice] = useState(product ? centsToAmountInput(product.price_cents) : '');
  const [stock, setStock] = useState(product ? String(product.stock) : '');
  const [problem, setProblem] = useState<Problem>();
  const [inputErrors, setInputErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const errors = {
    ...fieldErrorsOf(problem, {
      operation: product ? ['orders', 'PATCH /products/{id}'] : ['orders', 'POST /products'],
      conflicts: { SKU_TAKEN: 'sku' },
    }),
    ...inputErrors,
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    setProblem(undefined);
    const priceCents = parseAmountToCents(price);
    const stockUnits = parseWholeNumber(stock);
    const unreadable: Record<string, string> = {};
    if (priceCents === undefined) unreadable.price_cents = 'Enter an amount such as 14.50.';
    if (stockUnits === undefined) unreadable.stock = 'Enter a whole number of units.';
    setInputErrors(unreadable);
    if (priceCents === undefined || stockUnits === undefined) return;

    setBusy(true);
    if (!product) {
      const { data, error, response } = await api.orders.POST('/products', {
        body: { sku, name, price_cents: priceCents, stock: stockUnits },
      });
      setBusy(false);
      if (data) onSaved(data, `Product ${data.sku} created.`);
      else setProblem(problemOf(error, response));
      return;
    }
    const changes: ProductUpdate = {};
    if (name !== product.name) changes.name = name;
    if (priceCents !== product.price_cents) changes.price_cents = priceCents;
    if (stockUnits !== product.stock) changes.stock = stockUnits;
    if (Object.keys(changes).length === 0) {
      setBusy(false);
      onSaved(product, `Nothing changed for ${product.sku}.`);
      return;
    }
    const { data, error, response } = await api.orders.PATCH('/products/{id}', {
      params: { path: { id: product.id } },
      body: changes,
    });
    setBusy(false);
    if (data) onSaved(data, `Product ${data.sku} saved.`);
    else setProblem(problemOf(error, response));
  }

  return (
    <form className="card form" onSubmit={save} noValidate aria-busy={busy}>
      <h2>{product ? `Edit ${product.sku}` : 'New product'}</h2>
      <div className="form-grid">
        {product ? (
          <div className="field">
            <span className="label">SKU</span>
            <code className="readonly">{product.sku}</code>
          </div>
        ) : (
          <Field label="SKU" error={errors.sku} hint="Letters, digits, . _ -; unique.">
            {(control) => (
              <input
                {...control}
                autoComplete="off"
                value={sku}
                onChange={(event) => setSku(event.target.value)}
              />
            )}
          </Field>
        )}
        <Field label="Name" error={errors.name}>
          {(control) => <input {...control} value={name} onChange={(event) => setName(event.target.value)} />}
        </Field>
        <Field label="Price" error={errors.price_cents} hint="Per unit, e.g. 14.50">
          {(control) => (
            <input
              {...control}
              inputMode="decimal"
              value={price}
              onChange={(event) => setPrice(event.target.value)}
            />
          )}
        </Field>
        <Field
          label="Stock"
          error={errors.stock}
          hint={product ? 'Units available now (not a change).' : undefined}
        >
          {(control) => (
            <input
              {...control}
              inputMode="numeric"
              value={stock}
              onChange={(event) => setStock(event.target.value)}
            />
          )}
        </Field>
      </div>
      {problem && (
        <ProblemAlert
          problem={problem}
          fieldsShown={['body.sku', 'body.name', 'body.price_cents', 'body.stock']}
          summary={problem.code === 'SKU_TAKEN' ? 'The SKU is taken: see the SKU field.' : undefined}
        />
      )}
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Saving…' : product ? 'Save product' : 'Create product'}
        </button>
        <button type="button" className="button secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
