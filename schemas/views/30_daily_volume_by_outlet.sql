-- Articles per publication day and outlet (duplicates are not articles: they are in
-- `duplicates`). Undated articles count under an empty day so totals stay exact.
CREATE OR REPLACE VIEW daily_volume_by_outlet AS
SELECT
    published_date AS day,
    coalesce(outlet, '(unknown)') AS outlet,
    count(*) AS articles,
    count(*) FILTER (WHERE wire_service IS NOT NULL) AS wire_articles,
    sum(word_count) AS words
FROM articles
GROUP BY 1, 2
ORDER BY day NULLS LAST, outlet;
