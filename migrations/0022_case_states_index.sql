-- A KPI report counts the cases open on its day by kind and state; over all
-- England that read the whole cases table (180 MB on the national data set).
-- The index of cases by school, phase, kind, state and id now ends with the
-- day each case was opened, so the count (and an area's, through its schools)
-- is read from the index alone (docs/performance.md). It replaces the index
-- that is its prefix; the day a case was opened never changes, so events that
-- keep a case's state still update it in place.
CREATE INDEX cases_school_filters_opened ON cases (school_urn, phase, kind, state, id, opened_on);
DROP INDEX cases_school_filters_id;
