-- An operator can be disabled (`npm run operators -- disable <username>`) and enabled again
-- without losing the account: NULL is active, otherwise the time it was disabled. Log-in
-- refuses a disabled operator exactly as it refuses a wrong password.
ALTER TABLE operators ADD COLUMN disabled_at DATETIME(3) NULL;
