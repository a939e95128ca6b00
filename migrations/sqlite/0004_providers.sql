-- SQLite dialect of migrations/postgresql/0004_providers.sql.
-- Providers: alliances of schools led by a teaching school, the system leaders
-- who work for them with their designations, and the days each offers per
-- academic year (reserved on acceptance, consumed as days are logged).

CREATE TABLE alliances (
    id              INTEGER PRIMARY KEY,
    name            TEXT        NOT NULL UNIQUE,
    lead_school_urn INTEGER     NOT NULL REFERENCES schools (urn),
    created_at      TEXT        NOT NULL
);

CREATE TABLE alliance_members (
    alliance_id BIGINT  NOT NULL REFERENCES alliances (id),
    school_urn  INTEGER NOT NULL REFERENCES schools (urn),
    PRIMARY KEY (alliance_id, school_urn)
);

CREATE TABLE system_leaders (
    id              INTEGER PRIMARY KEY,
    name            TEXT        NOT NULL,
    email           TEXT        NOT NULL UNIQUE,
    home_school_urn INTEGER     NOT NULL REFERENCES schools (urn),
    alliance_id     BIGINT      REFERENCES alliances (id),
    created_at      TEXT        NOT NULL
);

CREATE TABLE designations (
    id               INTEGER PRIMARY KEY,
    system_leader_id BIGINT NOT NULL REFERENCES system_leaders (id),
    designation      TEXT   NOT NULL CHECK (designation IN ('NLE', 'LLE', 'SLE', 'NLG', 'LLG', 'PPR')),
    specialisms      TEXT   NOT NULL DEFAULT '',  -- comma-separated: maths,SEND,early years
    active_from      TEXT   NOT NULL,
    active_to        TEXT
);
CREATE INDEX designations_leader ON designations (system_leader_id);

-- Days in half-day steps, stored as half days so that sums stay exact.
CREATE TABLE capacity (
    system_leader_id BIGINT  NOT NULL REFERENCES system_leaders (id),
    academic_year    TEXT    NOT NULL,  -- 2026/27
    half_days_offered  INTEGER NOT NULL CHECK (half_days_offered >= 0),
    half_days_reserved INTEGER NOT NULL DEFAULT 0 CHECK (half_days_reserved >= 0),
    half_days_consumed INTEGER NOT NULL DEFAULT 0 CHECK (half_days_consumed >= 0),
    PRIMARY KEY (system_leader_id, academic_year),
    CHECK (half_days_reserved <= half_days_offered)
);
