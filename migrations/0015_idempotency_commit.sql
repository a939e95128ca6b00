{{-- An Idempotency-Key's work and its record commit together (docs/architecture.md,
-- Idempotency keys): the case an opening or event wrote is noted on the key in
-- the same transaction. A key whose first request died before its work
-- committed is free again once its lease has passed; one whose work committed
-- but whose answer was never stored answers with the case as it now is.
}{-- SQLite dialect of migrations/postgresql/0015_idempotency_commit.sql.
}}
ALTER TABLE idempotency_keys ADD COLUMN committed_case_id BIGINT;
