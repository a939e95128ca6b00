-- The monthly forecast (docs/need.md, "Will we make it?"): on the first
-- working day of each month every lead is emailed the forecast of their
-- scope. One row a lead a month: made by the first process to get there (so
-- each lead gets one email a month however many processes run), claimed with
-- a lease while it is sent, retried with backoff, dead after the last try.
CREATE TABLE forecast_digests (
    month           TEXT        NOT NULL CHECK (length(month) = 7),  -- 2026-12
    user_id         BIGINT      NOT NULL REFERENCES users (id),
    status          TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER     NOT NULL DEFAULT 0,
    claimed_by      TEXT,
    next_attempt_at {{TIMESTAMPTZ}{TEXT}} NOT NULL,  -- also the lease of the process sending it
    last_error      TEXT,
    sent_at         {{TIMESTAMPTZ}{TEXT}},
    PRIMARY KEY (month, user_id)
);
