-- What England's size needs looked up rather than scanned (docs/performance.md).
--
-- The lists of an area's cases (the lead's dashboard, the case list filtered
-- by phase, kind or state) read the cases of the area's schools that match
-- alone, tested in the index, not every case those schools ever had. The
-- index by school alone is its prefix, so it goes.
CREATE INDEX cases_school_filters ON cases (school_urn, phase, kind, state);
DROP INDEX cases_school;
-- The KPIs' cases opened in a span of days: referrals this year and last,
-- the schools engaged this year.
CREATE INDEX cases_opened ON cases (opened_on);
-- The KPIs' reports and contacts due in the year, by purpose.
CREATE INDEX deadlines_purpose_due ON deadlines (purpose, due_on);
-- Deadlines passed and not settled by a day: those never settled, and those
-- settled after it.
CREATE INDEX deadlines_unsettled ON deadlines (due_on) WHERE settled_on IS NULL;
CREATE INDEX deadlines_settled ON deadlines (settled_on);
