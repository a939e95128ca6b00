-- SQLite dialect of migrations/postgresql/0014_audit.sql: timestamps TEXT.

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_recorded ON audit_log (recorded_at);
CREATE INDEX case_history_recorded ON case_history (recorded_at);
