-- The engine's core (SQLite dialect of migrations/postgresql/0001_core.sql):
-- dates are TEXT YYYY-MM-DD (Europe/London civil dates), timestamps TEXT
-- YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC), JSON documents TEXT.

CREATE TABLE cases (
    id          INTEGER PRIMARY KEY,
    kind        TEXT        NOT NULL,
    reference   TEXT        NOT NULL UNIQUE,     -- SR-2026-0042
    school_urn  INTEGER     NOT NULL,
    state       TEXT        NOT NULL,            -- stable state name, never an MSM index
    phase       TEXT        NOT NULL,            -- referral, matching, deployment, evaluation, closed, declined, withdrawn
    version     INTEGER     NOT NULL,            -- bumped by every event; equals the last history sequence
    data        TEXT        NOT NULL,            -- kind-specific fields
    opened_on   TEXT        NOT NULL,
    opened_at   TEXT        NOT NULL,
    closed_at   TEXT,
    updated_at  TEXT        NOT NULL
);
CREATE INDEX cases_kind_state ON cases (kind, state);
CREATE INDEX cases_school ON cases (school_urn);

-- The last reference number handed out per kind prefix and year.
CREATE TABLE case_references (
    prefix      TEXT    NOT NULL,
    year        INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE case_history (
    case_id     BIGINT      NOT NULL REFERENCES cases (id),
    sequence    INTEGER     NOT NULL,
    event       TEXT        NOT NULL,
    from_state  TEXT,                            -- NULL for the event that opened the case
    to_state    TEXT        NOT NULL,
    actor       TEXT        NOT NULL,
    occurred_on TEXT        NOT NULL,
    recorded_at TEXT        NOT NULL,
    payload     TEXT        NOT NULL,
    timer_id    BIGINT UNIQUE,                   -- set when a timer fired it: exactly once per timer
    PRIMARY KEY (case_id, sequence)
);

CREATE TABLE deadlines (
    id             INTEGER PRIMARY KEY,
    case_id        BIGINT      NOT NULL REFERENCES cases (id),
    purpose        TEXT        NOT NULL,
    armed_in_state TEXT        NOT NULL,         -- leaving this state settles the deadline
    due_on         TEXT        NOT NULL,
    computation    TEXT        NOT NULL,         -- start, working days, days skipped and why
    status         TEXT        NOT NULL CHECK (status IN ('open', 'overdue', 'met', 'late', 'cancelled')),
    settled_on     TEXT,
    created_at     TEXT        NOT NULL
);
CREATE INDEX deadlines_open ON deadlines (case_id) WHERE status IN ('open', 'overdue');
CREATE INDEX deadlines_due ON deadlines (due_on) WHERE status IN ('open', 'overdue');

CREATE TABLE timers (
    id               INTEGER PRIMARY KEY,
    case_id          BIGINT      NOT NULL REFERENCES cases (id),
    deadline_id      BIGINT      NOT NULL REFERENCES deadlines (id),
    event            TEXT        NOT NULL,       -- reminder_due, deadline_passed, or a kind's own event
    fire_on          TEXT        NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('pending', 'fired', 'cancelled', 'failed')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    last_error       TEXT,
    created_at       TEXT        NOT NULL,
    fired_at         TEXT
);
CREATE INDEX timers_due ON timers (fire_on, id) WHERE status = 'pending';
CREATE INDEX timers_case ON timers (case_id) WHERE status = 'pending';

-- Messages to send, written in the same transaction as the event that caused them.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    case_id         BIGINT      REFERENCES cases (id),
    message         TEXT        NOT NULL,        -- referral_received, deadline_passed, ...
    payload         TEXT        NOT NULL,
    status          TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TEXT        NOT NULL,
    created_at      TEXT        NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE status = 'pending';

-- Days an admin closes on top of weekends and bank holidays.
CREATE TABLE calendar_closures (
    day        TEXT        PRIMARY KEY,
    reason     TEXT        NOT NULL,
    created_by TEXT        NOT NULL,
    created_at TEXT        NOT NULL
);
