-- The lists of an area's cases in one phase (the lead's dashboard, the case
-- list filtered by phase) read the cases of the area's schools in that phase
-- alone, not every case those schools ever had: at England's size a mini
-- region's schools hold thousands of closed cases (docs/performance.md).
-- The index by school alone is its prefix, so it goes.

CREATE INDEX cases_school_phase ON cases (school_urn, phase);
DROP INDEX cases_school;
