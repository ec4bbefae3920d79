-- Events out: every change of an order, a product or a customer is written, in the same
-- transaction as the change, as an event into its API's outbox; a relay in each API
-- process publishes the events to NATS JetStream and numbers them for the GET /events feed.
-- README "Events" tells the whole story.

-- The per-aggregate sequence of a product's or customer's events (its envelope's
-- subjectsequence): every write of the row adds one. Rows that exist now start at 1, so their
-- first event says 2: a consumer learns that it missed nothing since events began.
-- (An order's sequence is the number of transitions it has made, and needs no column.)
ALTER TABLE products ADD COLUMN version INT UNSIGNED NOT NULL DEFAULT 1 AFTER stock;
ALTER TABLE customers ADD COLUMN version INT UNSIGNED NOT NULL DEFAULT 1 AFTER phone;

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
