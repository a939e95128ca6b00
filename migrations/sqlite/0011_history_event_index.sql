-- SQLite dialect of migrations/postgresql/0011_history_event_index.sql (the same statement).
-- The history's events of one name over a span of days: the KPIs read the
-- ratings given in an academic year (event submit_rating) without scanning
-- every event of every case.

CREATE INDEX case_history_event_day ON case_history (event, occurred_on);
