-- One row per story: the articles of different outlets about one event (story_members,
-- pipeline/stories.py). The title is that of the article that started the story (or,
-- when a better copy replaced that article, of the earliest one: undated last, and the
-- lowest id among those of one day); first and last seen are publication days (fetch
-- days when no article is dated). It reads the three tables it needs, not the `articles`
-- view, which joins every tag. Most stories are one article, which is its own row:
-- aggregating those too took twice as long at 1,000,000 articles.
CREATE OR REPLACE VIEW stories AS
WITH members AS (
    SELECT story_id, article_id, count(*) OVER (PARTITION BY story_id) AS size FROM story_members
),
a AS (
    SELECT d.article_id, d.title, coalesce(p.published_date, d.fetched_at::DATE) AS day, p.published_date,
           d.fetched_at, o.outlet
    FROM documents d
    LEFT JOIN article_dates p USING (article_id)
    LEFT JOIN article_outlets o USING (article_id)
)
SELECT s.story_id, a.title, a.day AS first_seen, a.day AS last_seen, 1::BIGINT AS articles,
       (a.outlet IS NOT NULL)::BIGINT AS outlet_count,
       CASE WHEN a.outlet IS NOT NULL THEN [a.outlet] END AS outlets
FROM members s JOIN a USING (article_id)
WHERE s.size = 1
UNION ALL
SELECT
    s.story_id,
    coalesce(any_value(a.title) FILTER (WHERE a.article_id = s.story_id),
             arg_min(a.title, (a.day IS NULL, a.day, a.article_id))) AS title,
    coalesce(min(a.published_date), min(a.fetched_at)::DATE) AS first_seen,
    coalesce(max(a.published_date), max(a.fetched_at)::DATE) AS last_seen,
    count(*) AS articles,
    count(DISTINCT a.outlet) AS outlet_count,
    list(DISTINCT a.outlet ORDER BY a.outlet) FILTER (WHERE a.outlet IS NOT NULL) AS outlets
FROM members s JOIN a USING (article_id)
WHERE s.size > 1
GROUP BY s.story_id
ORDER BY last_seen DESC NULLS LAST, articles DESC;
