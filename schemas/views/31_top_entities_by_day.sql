-- Entities per publication day under their archive-wide names (`article_entities`),
-- ranked by the number of articles that mention them. `article_entities` holds one row
-- per article and entity, so its rows are the articles (count(DISTINCT article_id) took
-- twice as long at 1,000,000 articles).
CREATE OR REPLACE VIEW top_entities_by_day AS
SELECT
    a.published_date AS day,
    m.entity,
    m.entity_type,
    count(*) AS articles,
    sum(m.mention_count) AS mentions,
    rank() OVER (PARTITION BY a.published_date
                 ORDER BY count(*) DESC, sum(m.mention_count) DESC) AS rank
FROM article_entities m
JOIN article_dates a USING (article_id)  -- the day alone: the `articles` view would read every document
GROUP BY 1, 2, 3
ORDER BY day NULLS LAST, rank, entity;
