-- One row per story: the articles of different outlets about one event (story_members,
-- pipeline/stories.py). The title is that of the article that started the story (or,
-- when a better copy replaced that article, of the earliest one);
-- first and last seen are publication days (fetch days when no article is dated).
-- It reads the three tables it needs, not the `articles` view, which joins every tag.
CREATE OR REPLACE VIEW stories AS
SELECT
    s.story_id,
    coalesce(any_value(a.title) FILTER (WHERE a.article_id = s.story_id),
             arg_min(a.title, coalesce(a.published_date, a.fetched_at::DATE))) AS title,
    coalesce(min(a.published_date), min(a.fetched_at)::DATE) AS first_seen,
    coalesce(max(a.published_date), max(a.fetched_at)::DATE) AS last_seen,
    count(*) AS articles,
    count(DISTINCT a.outlet) AS outlet_count,
    list(DISTINCT a.outlet ORDER BY a.outlet) FILTER (WHERE a.outlet IS NOT NULL) AS outlets
FROM story_members s
JOIN (SELECT d.article_id, d.title, d.fetched_at, p.published_date, o.outlet
      FROM documents d
      LEFT JOIN article_dates p USING (article_id)
      LEFT JOIN article_outlets o USING (article_id)) a USING (article_id)
GROUP BY s.story_id
ORDER BY last_seen DESC NULLS LAST, articles DESC;
