-- The lists of an area's cases (the lead's dashboard, the case list filtered
-- by phase, kind or state) read the cases of the area's schools that match
-- alone, tested in the index, not every case those schools ever had: at
-- England's size a mini region's schools hold thousands of closed cases
-- (docs/performance.md). The index by school alone is its prefix, so it goes.

CREATE INDEX cases_school_filters ON cases (school_urn, phase, kind, state);
DROP INDEX cases_school;
