-- SQLite dialect of migrations/postgresql/0013_web_sign_in.sql: timestamps TEXT.

ALTER TABLE users ADD COLUMN revoked_at TEXT;

CREATE TABLE sign_in_links (
    id          INTEGER PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    token_hash  TEXT   NOT NULL UNIQUE,
    next_path   TEXT   NOT NULL,
    created_at  TEXT   NOT NULL,
    expires_at  TEXT   NOT NULL,
    used_at     TEXT
);
CREATE INDEX sign_in_links_user ON sign_in_links (user_id, created_at);

CREATE TABLE web_sessions (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    token_hash   TEXT   NOT NULL UNIQUE,
    created_at   TEXT   NOT NULL,
    last_seen_at TEXT   NOT NULL,
    ended_at     TEXT
);
CREATE INDEX web_sessions_user ON web_sessions (user_id) WHERE ended_at IS NULL;
