{{-- What the action plans count and who they name (docs/kpis.md, docs/roles.md).
--
-- A deployment keeps the designation it was made under (chosen when the
-- provider is proposed): an SLE deployment is one made under an SLE
-- designation. A designation review that ends in a final de-designation ends
-- the designation it names, and says which review ended it.
}{-- SQLite dialect of migrations/postgresql/0012_plan_fidelity.sql.
-- SQLite cannot change a CHECK constraint in place: users is rebuilt (the
-- migration runner turns foreign key enforcement off around migrations and
-- checks every foreign key before each commits).

}}ALTER TABLE deployments ADD COLUMN designation_id BIGINT REFERENCES designations (id);
CREATE INDEX deployments_designation ON deployments (designation_id) WHERE designation_id IS NOT NULL;
ALTER TABLE designations ADD COLUMN ended_by_case_id BIGINT REFERENCES cases (id);

{{-- The phase a lead's scope may be narrowed to, worked out from the GIAS phase
-- and type: special schools (of any phase) and alternative provision apart,
-- middle schools together.
}{}}ALTER TABLE schools ADD COLUMN phase_group TEXT GENERATED ALWAYS AS (
    CASE
        WHEN lower(COALESCE(type, '')) LIKE '%special%' THEN 'special'
        WHEN lower(COALESCE(type, '')) LIKE '%pupil referral%'
          OR lower(COALESCE(type, '')) LIKE '%alternative provision%' THEN 'alternative_provision'
        WHEN phase = 'Nursery' THEN 'nursery'
        WHEN phase = 'Primary' THEN 'primary'
        WHEN phase IN ('Middle deemed primary', 'Middle deemed secondary') THEN 'middle'
        WHEN phase = 'Secondary' THEN 'secondary'
        WHEN phase = 'All-through' THEN 'all_through'
        WHEN phase = '16 plus' THEN 'sixteen_plus'
        ELSE 'other'
    END) {{STORED}{VIRTUAL}};

{{-- A lead narrowed to phases (comma-separated phase groups; NULL: every
-- phase), and the read-only strategic role (the regional strategy group, the
-- regional coordinator, the RSC's office), which has no scope: it reads
-- every mini region.
ALTER TABLE users ADD COLUMN scope_phases TEXT;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('lead', 'strategic', 'system_leader', 'school', 'la_officer', 'admin'));
}{CREATE TABLE users_new (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL UNIQUE,
    role         TEXT NOT NULL
                 CHECK (role IN ('lead', 'strategic', 'system_leader', 'school', 'la_officer', 'admin')),
    scope_kind   TEXT CHECK (scope_kind IN ('mini_region', 'alliance', 'school', 'system_leader', 'la')),
    scope_value  TEXT,
    created_at   TEXT NOT NULL,
    notify       TEXT NOT NULL DEFAULT 'immediate' CHECK (notify IN ('immediate', 'digest')),
    scope_phases TEXT
);
INSERT INTO users_new (id, name, email, role, scope_kind, scope_value, created_at, notify)
    SELECT id, name, email, role, scope_kind, scope_value, created_at, notify FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
}}