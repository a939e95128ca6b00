-- SQLite dialect of migrations/postgresql/0008_deliveries.sql.
-- Notification delivery: each outbox message fans out into one delivery per
-- recipient (a person's address or a webhook), each sent, retried and given up on by itself, so a recipient
-- whose server refuses never makes the others hear twice. Every attempt is
-- kept. The outbox row is pending until its deliveries are all settled.

-- How a person hears: each message at once, or a daily digest of them.
ALTER TABLE users ADD COLUMN notify TEXT NOT NULL DEFAULT 'immediate' CHECK (notify IN ('immediate', 'digest'));

-- Messages queued before anything delivered them are history, not news:
-- they are settled here rather than mailed out on the first start.
UPDATE outbox SET status = 'sent', last_error = 'queued before notifications were delivered (migration 0008)'
    WHERE status = 'pending';

ALTER TABLE outbox ADD COLUMN expanded_at TEXT;  -- when its deliveries were created

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    outbox_id       BIGINT      NOT NULL REFERENCES outbox (id),
    channel         TEXT        NOT NULL CHECK (channel IN ('email', 'webhook')),
    recipient       TEXT        NOT NULL,  -- an email address; "missing:<who>" when there is none
    recipient_name  TEXT        NOT NULL,  -- "Amy Lead (lead)"
    status          TEXT        NOT NULL CHECK (status IN ('pending', 'held', 'sent', 'dead', 'undeliverable')),
    attempts        INTEGER     NOT NULL DEFAULT 0,
    -- held: waits for its recipient's daily digest
    claimed_by      TEXT,                  -- the process sending it, until next_attempt_at
    next_attempt_at TEXT NOT NULL,  -- also the lease of the process sending it
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (outbox_id, channel, recipient)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_outbox ON deliveries (outbox_id);

CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  BIGINT      NOT NULL REFERENCES deliveries (id),
    attempted_at TEXT NOT NULL,
    ok           BOOLEAN     NOT NULL,
    detail       TEXT        NOT NULL  -- the server's answer or the error
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);

-- Webhooks: every notification about a school in the alliance or mini region
-- is also POSTed as JSON to the URL, signed with HMAC-SHA256 under the secret.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    scope_kind  TEXT        NOT NULL CHECK (scope_kind IN ('alliance', 'mini_region')),
    scope_value TEXT        NOT NULL,
    url         TEXT        NOT NULL,
    secret      TEXT        NOT NULL,  -- shared with the receiver, which checks the signature
    created_at  TEXT NOT NULL,
    UNIQUE (scope_kind, scope_value, url)
);
