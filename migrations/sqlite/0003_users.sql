-- SQLite dialect of migrations/postgresql/0003_users.sql.
-- People who use s2s, their role and scope (DESIGN.md section 2), and their
-- API tokens, stored only as SHA-256 hashes.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT        NOT NULL UNIQUE,
    role        TEXT        NOT NULL CHECK (role IN ('lead', 'system_leader', 'school', 'la_officer', 'admin')),
    scope_kind  TEXT        CHECK (scope_kind IN ('mini_region', 'alliance', 'school', 'system_leader', 'la')),
    scope_value TEXT,
    created_at  TEXT        NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    token_hash   TEXT        NOT NULL UNIQUE,  -- hex SHA-256 of the bearer token; the token itself is never stored
    token_prefix TEXT        NOT NULL,         -- its first characters, to tell tokens apart in listings
    created_at   TEXT NOT NULL,
    revoked_at   TEXT       
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
