-- Development data. Safe to run twice: every row has a fixed id and an existing row is
-- left as it is (ON DUPLICATE KEY UPDATE id = id).
--
-- Development operator: username `operator` (usernames are exact: `Operator` is someone
-- else), password `operator-dev-password` (stored as an scrypt hash with its cost,
-- scrypt$N$r$p$salt$hash, base64url; N = 2^17, r = 8, p = 1 as OWASP recommends).

INSERT INTO operators (id, username, password_hash) VALUES
  (1, 'operator', 'scrypt$131072$8$1$BYmpJHEMopLi-fFYhTx84Q$pzHH-xeYxKieP_cBVH2kgH7YtunHjGmIFrj2hoFqZIp0DycfYFPSKAChKTZd4PQ9PVlwd1dP0dAGMi1z_bmblQ')
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO customers (id, name, email, phone) VALUES
  (1, 'Acme Industrial Supply', 'purchasing@acme-industrial.example', '+1 415 555 0100'),
  (2, 'Globex Logistics', 'orders@globex.example', '+44 20 7946 0958'),
  (3, 'Initech Office Solutions', 'procurement@initech.example', NULL),
  (4, 'Umbrella Medical Distribution', 'buyers@umbrella-medical.example', '+49 30 901820'),
  (5, 'Stark Components', 'supply@stark-components.example', '+1 212 555 0199')
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO products (id, sku, name, price_cents, stock) VALUES
  (1, 'PAL-EUR-1200', 'Euro pallet 1200x800', 1450, 500),
  (2, 'BOX-CARD-40', 'Cardboard box 40x30x30', 120, 4998),
  (3, 'TAPE-PP-50', 'Packing tape 50 mm x 66 m', 310, 1200),
  (4, 'WRAP-STR-23', 'Stretch wrap 23 micron, 300 m', 1890, 300),
  (5, 'LBL-THERM-100', 'Thermal labels 100x150, roll of 500', 1275, 798),
  (6, 'GLV-NIT-L', 'Nitrile gloves size L, box of 100', 899, 640),
  (7, 'SCN-HH-2D', 'Handheld 2D barcode scanner', 18900, 39),
  (8, 'PRN-LBL-4', 'Desktop label printer 4 inch', 32900, 15),
  (9, 'CRT-STK-60', 'Stackable crate 60x40x32', 1590, 220),
  (10, 'STR-PET-16', 'PET strapping 16 mm, 1000 m', 4650, 80)
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO orders (id, customer_id, customer_name, customer_email, customer_phone, status, total_cents, confirmed_at) VALUES
  (1, 1, 'Acme Industrial Supply', 'purchasing@acme-industrial.example', '+1 415 555 0100', 'CONFIRMED', 5690, CURRENT_TIMESTAMP(3)),
  (2, 2, 'Globex Logistics', 'orders@globex.example', '+44 20 7946 0958', 'CREATED', 2550, NULL)
ON DUPLICATE KEY UPDATE id = id;

INSERT INTO order_items (order_id, product_id, sku, name, qty, unit_price_cents, subtotal_cents) VALUES
  (1, 2, 'BOX-CARD-40', 'Cardboard box 40x30x30', 2, 120, 240),
  (1, 5, 'LBL-THERM-100', 'Thermal labels 100x150, roll of 500', 2, 1275, 2550),
  (1, 1, 'PAL-EUR-1200', 'Euro pallet 1200x800', 2, 1450, 2900),
  (2, 5, 'LBL-THERM-100', 'Thermal labels 100x150, roll of 500', 2, 1275, 2550)
ON DUPLICATE KEY UPDATE order_id = order_id;
