{{}{-- SQLite dialect of migrations/postgresql/0011_report_indexes.sql (the same statements).
}}-- What the KPI reports look up by day. The history's events of one name over
-- a span of days: the ratings given in an academic year (submit_rating)
-- without scanning every event of every case. The day entries after a date:
-- a report as of an earlier day takes those from the year's kept totals.

CREATE INDEX case_history_event_day ON case_history (event, occurred_on);
CREATE INDEX deployment_days_day ON deployment_days (day);
