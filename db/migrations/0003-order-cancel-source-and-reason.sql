-- Why an order ended (issue 13 §3). `cancel_source` says who canceled it, machine-readable:
-- a client's POST /orders/{id}/cancel, the orchestrator's compensation, or the API's own
-- reservation expiry; `cancel_reason` is the text a client sent, or the API's sentence for
-- an expiry. Both stay NULL unless the order is CANCELED (the CHECKs below).
-- One ALTER, so the columns and their constraints appear together or not at all.
-- The reservation sweep's query (status = 'CREATED' AND created_at < cutoff, oldest first)
-- is served by the existing ix_orders_status_created_at_id: no new index is needed.
ALTER TABLE orders
  ADD COLUMN cancel_source ENUM('CLIENT', 'ORCHESTRATOR_COMPENSATION', 'RESERVATION_EXPIRY') NULL AFTER canceled_at,
  ADD COLUMN cancel_reason VARCHAR(500) NULL AFTER cancel_source,
  ADD CONSTRAINT ck_orders_cancel_source_only_when_canceled CHECK (cancel_source IS NULL OR status = 'CANCELED'),
  ADD CONSTRAINT ck_orders_cancel_reason_only_when_canceled CHECK (cancel_reason IS NULL OR status = 'CANCELED');

-- Until now every cancellation came through POST /orders/{id}/cancel.
UPDATE orders SET cancel_source = 'CLIENT' WHERE status = 'CANCELED';

-- Answers stored with idempotency keys before now are orders without the two fields, and a
-- replay must still match the contract. Those answers (create, confirm) are CREATED or
-- CONFIRMED orders, so both fields are null. A replay is no longer byte-identical to the
-- first answer's spacing, only to its content.
UPDATE idempotency_keys
SET response_body = JSON_SET(response_body, '$.cancel_source', NULL, '$.cancel_reason', NULL)
WHERE status = 'COMPLETED' AND scope IN ('create_order', 'confirm_order') AND JSON_VALID(response_body);
