-- Indexes for GET /orders?customer_id= and the dashboard's GET /stats/orders-per-day
-- (measured on 1,000,000 orders by `npm run bench:volume`; README figures in the report).
--
-- ix_orders_customer_id_created_at_id replaces ix_orders_customer_id: a customer's orders,
-- newest first, are read in index order and the keyset cursor (created_at, id) seeks into
-- it, instead of sorting every order of the customer for each page. It still starts with
-- customer_id, so anything that looked orders up by customer keeps an index (customer_id
-- has no foreign key: customers belong to the Customers API).
--
-- ix_orders_created_at_status_total covers the per-day query (a range on created_at,
-- grouped by local day and status, summing total_cents): it is answered from the index
-- alone, without reading a single row.
--
-- GET /products?stock_below= gets no index: products are few (hundreds to thousands, not
-- millions) and the list walks the primary key in id order anyway, so a stock index
-- would only be chosen for very selective thresholds and would cost every stock update.
--
-- One ALTER, so the old index goes only together with its replacement.
ALTER TABLE orders
  ADD KEY ix_orders_customer_id_created_at_id (customer_id, created_at, id),
  ADD KEY ix_orders_created_at_status_total (created_at, status, total_cents),
  DROP KEY ix_orders_customer_id;
