-- SQLite dialect of migrations/postgresql/0015_idempotency_commit.sql.

ALTER TABLE idempotency_keys ADD COLUMN committed_case_id BIGINT;
