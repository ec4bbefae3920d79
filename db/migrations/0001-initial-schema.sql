-- 0001: the schema as it stood when versioned migrations were introduced.
-- It keeps CREATE TABLE IF NOT EXISTS (later migrations need not): a database created
-- before migrations existed already holds these tables, and this migration then only
-- records itself in schema_migrations.
-- Valid on MySQL 8.0 and MariaDB 10.11+. Timestamps are DATETIME(3) in UTC (connections
-- set time_zone = '+00:00'). Money is integer cents in BIGINT so totals never overflow.

CREATE TABLE IF NOT EXISTS operators (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  username      VARCHAR(100)    NOT NULL,
  password_hash VARCHAR(255)    NOT NULL,
  created_at    DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uq_operators_username (username)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS customers (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name         VARCHAR(200)    NOT NULL,
  email        VARCHAR(254)    NOT NULL,
  phone        VARCHAR(32)     NULL,
  created_at   DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  deleted_at   DATETIME(3)     NULL,
  -- Holds the lower-cased email while the customer is not deleted, NULL afterwards: the
  -- unique key below then enforces "one active customer per email" (NULLs never collide)
  -- and lets a deleted customer's email be used again.
  active_email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
               GENERATED ALWAYS AS (CASE WHEN deleted_at IS NULL THEN LOWER(email) END) STORED,
  PRIMARY KEY (id),
  UNIQUE KEY uq_customers_active_email (active_email),
  KEY ix_customers_deleted_at_id (deleted_at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS products (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  sku         VARCHAR(64)     NOT NULL,
  name        VARCHAR(200)    NOT NULL,
  price_cents BIGINT          NOT NULL,
  stock       INT             NOT NULL,
  created_at  DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  -- The table collation is case-insensitive, so 'ABC-1' and 'abc-1' collide.
  UNIQUE KEY uq_products_sku (sku),
  CONSTRAINT ck_products_stock_not_negative CHECK (stock >= 0),
  CONSTRAINT ck_products_price_not_negative CHECK (price_cents >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- customer_id has no foreign key: customers belong to the Customers API, which the Orders
-- API consults over HTTP; the two services share a server, not each other's tables.
CREATE TABLE IF NOT EXISTS orders (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  customer_id  BIGINT UNSIGNED NOT NULL,
  status       ENUM('CREATED', 'CONFIRMED', 'CANCELED') NOT NULL DEFAULT 'CREATED',
  total_cents  BIGINT          NOT NULL,
  created_at   DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  confirmed_at DATETIME(3)     NULL,
  canceled_at  DATETIME(3)     NULL,
  PRIMARY KEY (id),
  KEY ix_orders_created_at_id (created_at, id),
  KEY ix_orders_status_created_at_id (status, created_at, id),
  KEY ix_orders_customer_id (customer_id),
  CONSTRAINT ck_orders_total_not_negative CHECK (total_cents >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- sku and name are copied from the product when the order is placed, so an order keeps
-- describing what was sold after the product is renamed.
CREATE TABLE IF NOT EXISTS order_items (
  order_id         BIGINT UNSIGNED NOT NULL,
  product_id       BIGINT UNSIGNED NOT NULL,
  sku              VARCHAR(64)     NOT NULL,
  name             VARCHAR(200)    NOT NULL,
  qty              INT             NOT NULL,
  unit_price_cents BIGINT          NOT NULL,
  subtotal_cents   BIGINT          NOT NULL,
  PRIMARY KEY (order_id, product_id),
  KEY ix_order_items_product_id (product_id),
  CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT fk_order_items_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT ck_order_items_qty_positive CHECK (qty > 0),
  CONSTRAINT ck_order_items_subtotal CHECK (subtotal_cents = qty * unit_price_cents)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row per (scope, key): inserting it claims the key. The fingerprint tells a retry of
-- the same request from a reuse of the key for another one; the stored response is
-- replayed byte for byte.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  scope               VARCHAR(32)     NOT NULL,
  idempotency_key     VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  target_type         VARCHAR(32)     NOT NULL,
  target_id           BIGINT UNSIGNED NULL,
  request_fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status              ENUM('IN_PROGRESS', 'COMPLETED') NOT NULL,
  response_status     SMALLINT UNSIGNED NULL,
  response_body       MEDIUMTEXT      NULL,
  created_at          DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at          DATETIME(3)     NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_idempotency_keys_scope_key (scope, idempotency_key),
  KEY ix_idempotency_keys_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
