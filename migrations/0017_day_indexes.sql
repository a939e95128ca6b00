-- The days of a span, read from the index alone (docs/performance.md).
--
-- The KPI reports sum the half days given on each day of the year: over
-- every school by day, over an area's schools by each of their cases'
-- days. Both read the half days from the index, not the rows.
DROP INDEX deployment_days_day;
CREATE INDEX deployment_days_day ON deployment_days {{(day) INCLUDE (half_days)}{(day, half_days)}};
CREATE INDEX deployment_days_case_day ON deployment_days {{(case_id, day) INCLUDE (half_days)}{(case_id, day, half_days)}};
