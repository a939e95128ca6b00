{{}{-- SQLite dialect of migrations/postgresql/0002_schools.sql (dates TEXT, booleans 0/1).
}}-- Schools from the DfE register (GIAS), keyed by URN, with the fields the KPIs
-- need that GIAS lacks (admin-edited), and the mapping of local authorities
-- to mini regions (configurable: other regions, other rows).

CREATE TABLE la_mini_regions (
    la_code     INTEGER PRIMARY KEY,
    mini_region TEXT    NOT NULL
);
-- The nine East Midlands areas; Northamptonshire's two unitary successors
-- (2021) belong to the Northamptonshire area.
INSERT INTO la_mini_regions (la_code, mini_region) VALUES
    (831, 'Derby City'), (830, 'Derbyshire'), (856, 'Leicester City'), (855, 'Leicestershire'),
    (925, 'Lincolnshire'), (928, 'Northamptonshire'), (940, 'Northamptonshire'), (941, 'Northamptonshire'),
    (892, 'Nottingham City'), (891, 'Nottinghamshire'), (857, 'Rutland');

CREATE TABLE schools (
    urn           INTEGER     PRIMARY KEY,
    name          TEXT        NOT NULL,
    la_code       INTEGER     NOT NULL,
    la_name       TEXT        NOT NULL,
    phase         TEXT        NOT NULL,            -- PhaseOfEducation (name)
    status        TEXT        NOT NULL,            -- EstablishmentStatus (name)
    type          TEXT,                            -- TypeOfEstablishment (name)
    trust_code    TEXT,
    trust_name    TEXT,
    town          TEXT,
    postcode      TEXT,
    opened_on     {{DATE}{TEXT}},
    closed_on     {{DATE}{TEXT}},
    ofsted_grade  INTEGER CHECK (ofsted_grade BETWEEN 1 AND 4),
    ofsted_date   {{DATE}{TEXT}},
    ssif_eligible {{BOOLEAN}{INTEGER}}     NOT NULL DEFAULT {{FALSE}{0    }},  -- admin-edited
    category_5_6  {{BOOLEAN}{INTEGER}}     NOT NULL DEFAULT {{FALSE}{0    }},  -- admin-edited: in a Category 5/6 area
    gias_checksum TEXT        NOT NULL,                -- of the imported fields: unchanged rows are skipped
    imported_at   {{TIMESTAMPTZ }{TEXT        }}NOT NULL,
    updated_at    {{TIMESTAMPTZ }{TEXT        }}NOT NULL
);
CREATE INDEX schools_la ON schools (la_code);
CREATE INDEX schools_name ON schools (lower(name));
