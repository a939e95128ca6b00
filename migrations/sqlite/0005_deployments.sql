-- SQLite dialect of migrations/postgresql/0005_deployments.sql.
-- Deployments: which system leader was proposed for, deployed to, or declined
-- a case, with the days reserved for it and the school's rating of it; and
-- the days logged on it. Both are written by the case's events in the event's
-- transaction, so they always agree with the case history. Matching reads
-- them for current load and earlier ratings; scope checks read them to know
-- which cases a system leader works on.

CREATE TABLE deployments (
    id                 INTEGER PRIMARY KEY,
    case_id            BIGINT  NOT NULL REFERENCES cases (id),
    system_leader_id   BIGINT  NOT NULL REFERENCES system_leaders (id),
    status             TEXT    NOT NULL CHECK (status IN ('proposed', 'declined', 'active', 'ended', 'withdrawn')),
    proposed_on        TEXT    NOT NULL,
    accepted_on        TEXT,
    ended_on           TEXT,
    academic_year      TEXT,
    half_days_reserved INTEGER NOT NULL DEFAULT 0,
    rating             INTEGER CHECK (rating BETWEEN 1 AND 4),
    UNIQUE (case_id, system_leader_id)
);
CREATE INDEX deployments_leader ON deployments (system_leader_id, status);

-- Append-only: a correction is a new row naming the row it corrects (with
-- the corrected date and days, 0 to strike the entry out); a row is corrected
-- at most once. The days in force are the rows no other row corrects.
CREATE TABLE deployment_days (
    id               INTEGER PRIMARY KEY,
    case_id          BIGINT  NOT NULL REFERENCES cases (id),
    entry            INTEGER NOT NULL,  -- 1, 2, ... per case, as the case history numbers them
    system_leader_id BIGINT  NOT NULL REFERENCES system_leaders (id),
    day              TEXT    NOT NULL,
    half_days        INTEGER NOT NULL CHECK (half_days BETWEEN 0 AND 2),
    activity         TEXT    NOT NULL,
    funding_source   TEXT,
    corrects_entry   INTEGER,
    recorded_at      TEXT        NOT NULL,
    UNIQUE (case_id, entry),
    UNIQUE (case_id, corrects_entry),
    FOREIGN KEY (case_id, corrects_entry) REFERENCES deployment_days (case_id, entry)
);
CREATE INDEX deployment_days_leader ON deployment_days (system_leader_id, day);
