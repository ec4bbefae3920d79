-- An order keeps its buyer as they were when it was placed (name, email, phone): a
-- customer edited or deleted later (soft delete) no longer changes, or blanks, what a
-- business record says. Back-filled from the customers table, deleted customers included;
-- every order's customer is there (the Orders API checks it before placing an order, and
-- customers are only ever soft-deleted).
ALTER TABLE orders
  ADD COLUMN customer_name VARCHAR(200) NOT NULL DEFAULT '' AFTER customer_id,
  ADD COLUMN customer_email VARCHAR(254) NOT NULL DEFAULT '' AFTER customer_name,
  ADD COLUMN customer_phone VARCHAR(32) NULL AFTER customer_email;

UPDATE orders o
JOIN customers c ON c.id = o.customer_id
SET o.customer_name = c.name, o.customer_email = c.email, o.customer_phone = c.phone;

-- From now on every order is inserted with its snapshot.
ALTER TABLE orders
  ALTER COLUMN customer_name DROP DEFAULT,
  ALTER COLUMN customer_email DROP DEFAULT;

-- Answers stored with idempotency keys before now are orders without `customer`, and a
-- replay must still match the contract: the snapshot is added to them, after `customer_id`'s
-- siblings (content, not spacing, is what a replay keeps).
UPDATE idempotency_keys k
JOIN orders o ON o.id = k.target_id
SET k.response_body = JSON_SET(
      k.response_body, '$.customer',
      JSON_OBJECT('id', o.customer_id, 'name', o.customer_name, 'email', o.customer_email, 'phone', o.customer_phone))
WHERE k.status = 'COMPLETED' AND k.scope IN ('create_order', 'confirm_order') AND JSON_VALID(k.response_body);
