{{}{-- SQLite dialect of migrations/postgresql/0007_deadline_index.sql (the same statement).
}}-- A case's deadlines, whatever their status, by case: GET /api/v1/cases/{id}
-- shows them all (the partial index deadlines_open holds only the unsettled
-- ones), and without this each read scanned every deadline of every case.

CREATE INDEX deadlines_case ON deadlines (case_id, id);
