{{}{-- SQLite dialect of migrations/postgresql/0010_day_totals.sql.
}}-- Days in force per case, system leader, academic year and funding source,
-- kept by each logged day (a correction takes the corrected entry's days
-- back) in the event's own transaction, so that the KPIs read one row per
-- case and year instead of summing every entry.

CREATE TABLE deployment_day_totals (
    case_id          BIGINT  NOT NULL REFERENCES cases (id),
    system_leader_id BIGINT  NOT NULL REFERENCES system_leaders (id),
    academic_year    TEXT    NOT NULL,            -- 2026/27
    funding_source   TEXT    NOT NULL DEFAULT '', -- '' for days logged without one
    half_days        INTEGER NOT NULL,
    PRIMARY KEY (case_id, system_leader_id, academic_year, funding_source)
);
CREATE INDEX deployment_day_totals_year ON deployment_day_totals (academic_year);

INSERT INTO deployment_day_totals (case_id, system_leader_id, academic_year, funding_source, half_days)
SELECT d.case_id, d.system_leader_id,
{{       CASE WHEN EXTRACT(MONTH FROM d.day) >= 9
            THEN to_char(d.day, 'YYYY') || '/' || to_char(d.day + INTERVAL '1 year', 'YY')
            ELSE to_char(d.day - INTERVAL '1 year', 'YYYY') || '/' || to_char(d.day, 'YY') END,
}{       CASE WHEN CAST(strftime('%m', d.day) AS INTEGER) >= 9
            THEN strftime('%Y', d.day) || '/' || substr(strftime('%Y', d.day, '+1 year'), 3, 2)
            ELSE strftime('%Y', d.day, '-1 year') || '/' || substr(strftime('%Y', d.day), 3, 2) END,
}}       COALESCE(d.funding_source, ''), sum(d.half_days)
FROM deployment_days d
WHERE NOT EXISTS (SELECT 1 FROM deployment_days c WHERE c.case_id = d.case_id AND c.corrects_entry = d.entry)
GROUP BY 1, 2, 3, 4;
