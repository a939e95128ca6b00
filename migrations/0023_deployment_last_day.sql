-- The last day of support each deployment has had, kept by each logged day
-- in the event's own transaction (a correction works it out again), so that
-- the dashboard's quiet deployments (no day for a month) are read in the
-- order they went quiet, from an index, instead of taking the last day of
-- every active deployment from its days (docs/performance.md). A day struck
-- out, or moved, by a correction is no longer a day of support: only entries
-- in force count, as in the KPIs.
ALTER TABLE deployments ADD COLUMN last_day DATE;

UPDATE deployments SET last_day = (
    SELECT MAX(d.day) FROM deployment_days d
    WHERE d.case_id = deployments.case_id AND d.system_leader_id = deployments.system_leader_id
      AND d.half_days > 0
      AND NOT EXISTS (SELECT 1 FROM deployment_days x WHERE x.case_id = d.case_id AND x.corrects_entry = d.entry));

CREATE INDEX deployments_quiet ON deployments (COALESCE(last_day, accepted_on), case_id, system_leader_id)
    WHERE status = 'active' AND accepted_on IS NOT NULL;
