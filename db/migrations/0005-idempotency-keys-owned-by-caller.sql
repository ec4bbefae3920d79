-- An idempotency key belongs to whoever sent it (IETF draft-ietf-httpapi-idempotency-key-header
-- §2: the key is unique per client): `operator:<username>` for an operator token, `service`
-- for the service token (the orchestrator, which derives its keys from its own caller's).
-- One caller's key can then neither replay nor block another caller's request with the same
-- key value. Keys recorded before this migration belong to no caller (''): they expire within
-- IDEMPOTENCY_KEY_TTL_HOURS and are never replayed to anyone meanwhile.
ALTER TABLE idempotency_keys
  ADD COLUMN owner VARCHAR(109) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '' AFTER scope,
  DROP INDEX uq_idempotency_keys_scope_key,
  ADD UNIQUE KEY uq_idempotency_keys_scope_owner_key (scope, owner, idempotency_key);

-- From now on every claim names its owner.
ALTER TABLE idempotency_keys ALTER COLUMN owner DROP DEFAULT;
