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
