-- One row per run (a run, reprocess, compact or reindex): outcome, counts, rejects by reason and seconds per stage.
CREATE OR REPLACE VIEW run_health AS
WITH reasons AS (
    SELECT run_id, string_agg(reason || ' ' || n, ', ' ORDER BY n DESC, reason) AS rejects_by_reason
    FROM (SELECT run_id, reason, count(*) AS n FROM rejects GROUP BY ALL)
    GROUP BY run_id
),
stages AS (
    SELECT run_id, map(list(stage ORDER BY stage), list(round(seconds, 3) ORDER BY stage)) AS stage_seconds
    FROM run_stages
    GROUP BY run_id
)
SELECT
    r.run_id, coalesce(r.kind, 'run') AS kind, r.status, r.executor, r.started_at, round(r.duration_s, 2) AS duration_s,
    r.pages_read, r.pages_unchanged, r.articles_archived, r.duplicates, r.rejected,
    reasons.rejects_by_reason, stages.stage_seconds, r.error
FROM runs r
LEFT JOIN reasons USING (run_id)
LEFT JOIN stages USING (run_id)
ORDER BY r.started_at DESC;
