{{}{-- SQLite dialect of migrations/postgresql/0006_idempotency.sql.
}}-- Idempotency keys of the HTTP API: a POST sent again with the same
-- Idempotency-Key by the same user gets the first response back instead of
-- being applied twice. The row is claimed before the request runs (response
-- still NULL) and completed after, so a retry that races the first request
-- finds the claim and waits its turn instead of running it again.

CREATE TABLE idempotency_keys (
    user_id          BIGINT      NOT NULL REFERENCES users (id),
    key              TEXT        NOT NULL,
    method           TEXT        NOT NULL,
    path             TEXT        NOT NULL,
    request_hash     TEXT        NOT NULL,  -- hex SHA-256 of method, path and body
    status           INTEGER,               -- NULL while the first request runs
    response_type    TEXT,
    response_headers TEXT,                  -- JSON array of [name, value]
    response_body    TEXT,
    created_at       {{TIMESTAMPTZ }{TEXT        }}NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
