-- B2B Orders Backoffice: the whole schema in one readable file. Valid on MySQL 8.0 and
-- MariaDB 10.11+. Timestamps are DATETIME(3) in UTC (connections set time_zone = '+00:00').
-- Money is integer cents in BIGINT so totals never overflow.
--
-- db/migrations/ is the source of truth that evolves a running database; this file is kept
-- by hand to equal the result of applying every migration there, and it records them in
-- schema_migrations, so `npm run migrate` on a database created from it applies nothing.
-- A new migration must be reflected here (its change folded into the CREATE TABLEs below
-- and its name added to the INSERT at the end): test/migrations.test.ts compares the two.
--
-- For an EMPTY database only (the Compose MySQL loads it from /docker-entrypoint-initdb.d):
-- plain CREATE TABLE makes it fail on an existing database rather than mark migrations as
-- applied that were not.

-- The same definition as MIGRATIONS_TABLE in service-kit/src/migrations.ts.
CREATE TABLE schema_migrations (
  name       VARCHAR(255) NOT NULL,
  applied_at DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The same definition as MIGRATION_LOCK_TABLE in service-kit/src/migrations.ts: the row of
-- the migrator running now, with its lease (a lock the whole of a Galera cluster sees).
CREATE TABLE schema_migrations_lock (
  name       VARCHAR(64) NOT NULL,
  holder     CHAR(36)    NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  PRIMARY KEY (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Usernames are compared byte for byte (binary collation; trailing spaces, which
-- utf8mb4_bin ignores, are compared in code): `Operator` and `öperator` are not `operator`.
CREATE TABLE operators (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  username      VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  password_hash VARCHAR(255)    NOT NULL,
  created_at    DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  -- NULL: active; otherwise when it was disabled (log-in refuses it like a wrong password).
  disabled_at   DATETIME(3)     NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_operators_username (username)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Counters of the log-in throttle (customers-api/src/auth/login-throttle.ts), shared by
-- every replica, in the shape of rate-limiter-flexible's MySQL store. Keys are ASCII;
-- `expire` is in ms since the epoch (NULL: never).
CREATE TABLE login_throttle (
  `key`  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  points INT             NOT NULL DEFAULT 0,
  expire BIGINT UNSIGNED NULL,
  PRIMARY KEY (`key`),
  KEY ix_login_throttle_expire (expire)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE customers (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name         VARCHAR(200)    NOT NULL,
  email        VARCHAR(254)    NOT NULL,
  phone        VARCHAR(32)     NULL,
  -- The sequence of the customer's events: every write adds one.
  version      INT UNSIGNED    NOT NULL DEFAULT 1,
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

CREATE TABLE products (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  sku         VARCHAR(64)     NOT NULL,
  name        VARCHAR(200)    NOT NULL,
  price_cents BIGINT          NOT NULL,
  stock       INT             NOT NULL,
  -- The sequence of the product's events: every write adds one.
  version     INT UNSIGNED    NOT NULL DEFAULT 1,
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
CREATE TABLE orders (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  customer_id  BIGINT UNSIGNED NOT NULL,
  -- The buyer as they were when the order was placed: later edits or a deletion of the
  -- customer do not change what the order says.
  customer_name  VARCHAR(200)  NOT NULL,
  customer_email VARCHAR(254)  NOT NULL,
  customer_phone VARCHAR(32)   NULL,
  status       ENUM('CREATED', 'CONFIRMED', 'CANCELED') NOT NULL DEFAULT 'CREATED',
  total_cents  BIGINT          NOT NULL,
  created_at   DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   DATETIME(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  confirmed_at DATETIME(3)     NULL,
  canceled_at  DATETIME(3)     NULL,
  -- Who canceled the order, and the client's reason (or the API's sentence for an expiry).
  cancel_source ENUM('CLIENT', 'ORCHESTRATOR_COMPENSATION', 'RESERVATION_EXPIRY') NULL,
  cancel_reason VARCHAR(500)   NULL,
  PRIMARY KEY (id),
  KEY ix_orders_created_at_id (created_at, id),
  -- Also the reservation sweep's: CREATED orders oldest first.
  KEY ix_orders_status_created_at_id (status, created_at, id),
  -- A customer's orders newest first (GET /orders?customer_id=).
  KEY ix_orders_customer_id_created_at_id (customer_id, created_at, id),
  -- Covers GET /stats/orders-per-day: a created_at range grouped by day and status, summing totals.
  KEY ix_orders_created_at_status_total (created_at, status, total_cents),
  CONSTRAINT ck_orders_total_not_negative CHECK (total_cents >= 0),
  CONSTRAINT ck_orders_cancel_source_only_when_canceled CHECK (cancel_source IS NULL OR status = 'CANCELED'),
  CONSTRAINT ck_orders_cancel_reason_only_when_canceled CHECK (cancel_reason IS NULL OR status = 'CANCELED')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- sku and name are copied from the product when the order is placed, so an order keeps
-- describing what was sold after the product is renamed.
CREATE TABLE order_items (
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

-- One row per (scope, owner, key): inserting it claims the key. A key belongs to whoever
-- sent it (`operator:<username>` or `service`), so one caller cannot replay or block another's. The fingerprint tells a retry of
-- the same request from a reuse of the key for another one; the stored response is
-- replayed byte for byte.
CREATE TABLE idempotency_keys (
  id                  BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  scope               VARCHAR(32)     NOT NULL,
  owner               VARCHAR(109) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
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
  UNIQUE KEY uq_idempotency_keys_scope_owner_key (scope, owner, idempotency_key),
  KEY ix_idempotency_keys_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One outbox per API, written only by that API. `position` is the order of insertion;
-- `feed_position` the order the relay numbered them in (one relay at a time: see
-- outbox_relays), which is the order of the feed; `published_at` is set once JetStream acked
-- the event. Published events are deleted after OUTBOX_RETENTION_HOURS.
CREATE TABLE orders_outbox (
  position         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  type             VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  subject          VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  subject_sequence INT UNSIGNED NOT NULL,
  correlation_id   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  occurred_at      DATETIME(3) NOT NULL,
  data             JSON NOT NULL,
  feed_position    BIGINT UNSIGNED NULL,
  published_at     DATETIME(3) NULL,
  PRIMARY KEY (position),
  UNIQUE KEY uq_orders_outbox_event_id (event_id),
  UNIQUE KEY uq_orders_outbox_feed_position (feed_position),
  KEY ix_orders_outbox_published_at_position (published_at, position),
  KEY ix_orders_outbox_type_feed_position (type, feed_position)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE customers_outbox (
  position         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  type             VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  subject          VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  subject_sequence INT UNSIGNED NOT NULL,
  correlation_id   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  occurred_at      DATETIME(3) NOT NULL,
  data             JSON NOT NULL,
  feed_position    BIGINT UNSIGNED NULL,
  published_at     DATETIME(3) NULL,
  PRIMARY KEY (position),
  UNIQUE KEY uq_customers_outbox_event_id (event_id),
  UNIQUE KEY uq_customers_outbox_feed_position (feed_position),
  KEY ix_customers_outbox_published_at_position (published_at, position),
  KEY ix_customers_outbox_type_feed_position (type, feed_position)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row per outbox: holding its row lock (FOR UPDATE SKIP LOCKED) makes a relay the one
-- that publishes and numbers that outbox's events now; the other replicas' relays stand by.
CREATE TABLE outbox_relays (
  outbox_name        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  last_feed_position BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (outbox_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO outbox_relays (outbox_name) VALUES ('orders_outbox'), ('customers_outbox');

-- Webhooks: operators register HTTPS endpoints that receive the events of both APIs
-- (order.*, product.*, customer.*). The Orders API's dispatcher fans each event out into one
-- delivery per subscribed endpoint and POSTs it with Standard Webhooks signatures, retrying
-- on a schedule; every attempt is kept for the operator to read. README "Webhooks".

-- A registered endpoint. `secret` signs every delivery (whsec_ + base64 of 32 random bytes);
-- after a rotation `previous_secret` signs alongside until `previous_secret_expires_at`.
-- Deleting an endpoint sets `deleted_at` (its deliveries stay readable until retention).
CREATE TABLE webhook_endpoints (
  id                         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  url                        VARCHAR(2048) NOT NULL,
  description                VARCHAR(500) NULL,
  event_types                JSON NOT NULL,
  enabled                    TINYINT(1) NOT NULL DEFAULT 1,
  disabled_reason            VARCHAR(500) NULL,
  secret                     VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  previous_secret            VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NULL,
  previous_secret_expires_at DATETIME(3) NULL,
  secret_rotated_at          DATETIME(3) NULL,
  created_at                 DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at                 DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  deleted_at                 DATETIME(3) NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One event to deliver to one endpoint: (endpoint_id, event_id) is unique, so an event
-- redelivered by the broker adds nothing. `payload` is the envelope as published. A worker
-- claims a due PENDING delivery by setting `locked_until` (a lease).
CREATE TABLE webhook_deliveries (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  endpoint_id     BIGINT UNSIGNED NOT NULL,
  event_id        CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  event_type      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  payload         JSON NOT NULL,
  status          ENUM('PENDING', 'SUCCEEDED', 'FAILED') NOT NULL DEFAULT 'PENDING',
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(3) NULL,
  locked_until    DATETIME(3) NULL,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uq_webhook_deliveries_endpoint_event (endpoint_id, event_id),
  KEY ix_webhook_deliveries_status_next_attempt_at (status, next_attempt_at),
  KEY ix_webhook_deliveries_endpoint_id_id (endpoint_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Every attempt of a delivery, numbered from 1: what the endpoint answered (or the error).
CREATE TABLE webhook_attempts (
  delivery_id      BIGINT UNSIGNED NOT NULL,
  attempt_number   INT UNSIGNED NOT NULL,
  attempted_at     DATETIME(3) NOT NULL,
  response_status  SMALLINT NULL,
  duration_ms      INT NOT NULL,
  error            VARCHAR(500) NULL,
  response_excerpt VARCHAR(1000) NULL,
  PRIMARY KEY (delivery_id, attempt_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Every file in db/migrations/, by name without .sql.
INSERT INTO schema_migrations (name) VALUES
  ('0001-initial-schema'),
  ('0002-exact-usernames-and-login-throttle'),
  ('0003-order-cancel-source-and-reason'),
  ('0004-operator-status'),
  ('0005-idempotency-keys-owned-by-caller'),
  ('0006-order-customer-snapshot'),
  ('0007-event-outbox'),
  ('0008-webhooks'),
  ('0009-orders-by-customer-and-per-day-indexes');
