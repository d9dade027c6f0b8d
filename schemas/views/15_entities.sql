-- Entities across the archive. Within an article the tagger already counts short forms
-- into the full name (`mentions.surface_forms`: "Biden" inside "Joe Biden"). Those merges
-- are the evidence here: a form is an alias of the full name it was merged into in most
-- articles (two thirds or more of them), so an article that only says "Biden" counts
-- under "Joe Biden" too. A form split between two full names ("Johnson") stays itself.
CREATE OR REPLACE VIEW entity_aliases AS
WITH merged AS (
    SELECT m.entity_type, form AS alias, m.entity, count(DISTINCT m.article_id) AS articles
    FROM mentions m, unnest(m.surface_forms) AS f(form)
    WHERE form <> m.entity
    GROUP BY ALL
),
ranked AS (
    SELECT *,
           sum(articles) OVER (PARTITION BY entity_type, alias) AS alias_articles,
           row_number() OVER (PARTITION BY entity_type, alias ORDER BY articles DESC, entity) AS choice
    FROM merged
)
SELECT alias, entity_type, entity, articles, alias_articles,
       round(articles / alias_articles, 3) AS share
FROM ranked
WHERE choice = 1 AND articles * 3 >= alias_articles * 2;

-- Each article's entities under their archive-wide names: `entity` is the canonical name,
-- `article_entities` the names within the article it stands for.
CREATE OR REPLACE VIEW article_entities AS
SELECT
    m.article_id,
    coalesce(a.entity, m.entity) AS entity,
    m.entity_type,
    list(DISTINCT m.entity ORDER BY m.entity) AS article_entities,
    flatten(list(m.surface_forms)) AS surface_forms,
    sum(m.mention_count)::INT AS mention_count,
    min(m.first_position) AS first_position
FROM mentions m
LEFT JOIN entity_aliases a ON a.alias = m.entity AND a.entity_type = m.entity_type
GROUP BY m.article_id, coalesce(a.entity, m.entity), m.entity_type;
