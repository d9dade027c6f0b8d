-- Articles per publication day and outlet. Duplicates are not articles (they are in
-- `duplicates`): `duplicates` counts the copies of the day's articles found elsewhere,
-- for reports that want every page (`newsarchive report --include-duplicates`).
-- Undated articles count under an empty day so totals stay exact; `inferred_dates` says
-- how many of the day's articles were dated from a weekday, their story or the fetch time.
-- It reads the three tables it needs, not the `articles` view, which joins every tag.
CREATE OR REPLACE VIEW daily_volume_by_outlet AS
WITH copies AS (SELECT matched_article_id AS article_id, count(*) AS n FROM duplicates GROUP BY 1)
SELECT
    p.published_date AS day,
    coalesce(o.outlet, '(unknown)') AS outlet,
    count(*) AS articles,
    count(*) FILTER (WHERE o.wire_service IS NOT NULL) AS wire_articles,
    count(*) FILTER (WHERE p.published_inferred) AS inferred_dates,
    sum(d.word_count) AS words,
    coalesce(sum(c.n), 0)::BIGINT AS duplicates
FROM documents d
LEFT JOIN article_dates p USING (article_id)
LEFT JOIN article_outlets o USING (article_id)
LEFT JOIN copies c USING (article_id)
GROUP BY 1, 2
ORDER BY day NULLS LAST, outlet;
