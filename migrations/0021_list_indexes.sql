-- The case lists find the page's cases from the indexes alone, newest first,
-- and only then read those rows (docs/performance.md): the index of cases by
-- school, phase, kind and state ends with the case's id, and an area's
-- schools are found by LA with their URNs. Each replaces the index that is
-- its prefix.
CREATE INDEX cases_school_filters_id ON cases (school_urn, phase, kind, state, id);
DROP INDEX cases_school_filters;
CREATE INDEX schools_la_urn ON schools (la_code, urn);
DROP INDEX schools_la;
