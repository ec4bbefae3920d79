-- Usernames are compared byte for byte, never folded: with the table's case- and
-- accent-insensitive collation, `öperator` or `OPERATOR` found the operator `operator`.
-- utf8mb4_bin still ignores trailing spaces (PAD SPACE; the NO PAD binary collations differ
-- between MySQL 8 and MariaDB), so the log-in also compares the found username in code.
ALTER TABLE operators
  MODIFY username VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- Counters of the log-in throttle (customers-api/src/auth/login-throttle.ts), shared by
-- every replica: one row per key in the shape of rate-limiter-flexible's MySQL store.
-- Keys are ASCII (a hash of the username, the client address); `expire` is in ms since the
-- epoch (NULL: never). Expired rows are purged every few minutes.
CREATE TABLE login_throttle (
  `key`  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  points INT             NOT NULL DEFAULT 0,
  expire BIGINT UNSIGNED NULL,
  PRIMARY KEY (`key`),
  KEY ix_login_throttle_expire (expire)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
