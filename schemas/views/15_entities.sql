-- Entities across the archive. Within an article the tagger already counts short forms
-- into the full name (`mentions.surface_forms`: "Biden" inside "Joe Biden"). Those merges
-- are the evidence here: a form is an alias of a full name when at least two articles
-- merged it into that name, two thirds or more of the articles that merged it, and those
-- are at least a third of all the articles that use the form; then an article that only
-- says "Biden" counts under "Joe Biden" too. A form split between two full names
-- ("Johnson"), mostly used alone, or merged by one article only (one article's "Chris
-- Smith" made every "Smith" of a 250-article archive his, "Agent Smith" the malware too),
-- stays itself.
CREATE OR REPLACE VIEW entity_aliases AS
WITH forms AS (
    SELECT m.article_id, m.entity_type, form AS alias, m.entity
    FROM mentions m, unnest(m.surface_forms) AS f(form)
),
merged AS (
    SELECT entity_type, alias, entity, count(DISTINCT article_id) AS articles
    FROM forms WHERE alias <> entity
    GROUP BY ALL
),
-- Only the forms that were merged somewhere: counting every form's articles took 1.7 s
-- of this view's 1.9 s at 1,000,000 articles, for a few hundred aliases.
uses AS (
    SELECT entity_type, alias, count(DISTINCT article_id) AS alias_articles
    FROM forms SEMI JOIN merged USING (entity_type, alias)
    GROUP BY ALL
),
ranked AS (
    SELECT merged.*, uses.alias_articles,
           sum(articles) OVER (PARTITION BY entity_type, alias) AS merged_articles,
           row_number() OVER (PARTITION BY entity_type, alias ORDER BY articles DESC, entity) AS choice
    FROM merged JOIN uses USING (entity_type, alias)
)
SELECT alias, entity_type, entity, articles, merged_articles, alias_articles,
       round(articles / merged_articles, 3) AS share
FROM ranked
WHERE choice = 1 AND articles >= 2 AND articles * 3 >= merged_articles * 2 AND articles * 3 >= alias_articles;

-- Each article's entities under their archive-wide names: `entity` is the canonical name,
-- `article_entities` the names within the article it stands for. Only the rows that an
-- alias renames, and the rows they join, are grouped; every other row is already one
-- entity of one article (the tagger's key) and passes through. Grouping all of them
-- took 9.8 s at 1,000,000 articles, this 2.0 s: hardly one row in a hundred is an alias.
-- An alias stays itself in an article that also names another full name it could stand
-- for (ending in it, or a person's beginning with it: "Xi" beside Xi Mingze): the tagger
-- left "Biden" apart where both Joe and Hunter Biden are named, and so does this view.
CREATE OR REPLACE VIEW article_entities AS
WITH aliased AS (
    SELECT m.article_id, m.entity, m.entity_type, a.entity AS canonical
    FROM mentions m
    JOIN entity_aliases a ON a.alias = m.entity AND a.entity_type = m.entity_type
),
withheld AS (
    SELECT DISTINCT x.article_id, x.entity, x.entity_type
    FROM aliased x
    JOIN mentions o ON o.article_id = x.article_id AND o.entity_type = x.entity_type
    WHERE o.entity <> x.canonical
      AND (suffix(o.entity, ' ' || x.entity) OR (x.entity_type = 'person' AND prefix(o.entity, x.entity || ' ')))
),
mapped AS (
    SELECT m.*, x.canonical
    FROM mentions m
    LEFT JOIN (FROM aliased ANTI JOIN withheld USING (article_id, entity, entity_type)) x
        USING (article_id, entity, entity_type)
),
merged AS (SELECT DISTINCT article_id, canonical AS entity, entity_type FROM mapped WHERE canonical IS NOT NULL)
SELECT m.article_id, m.entity, m.entity_type, [m.entity] AS article_entities, m.surface_forms,
       m.mention_count, m.first_position
FROM mapped m ANTI JOIN merged USING (article_id, entity, entity_type)
WHERE m.canonical IS NULL
UNION ALL
SELECT
    m.article_id,
    coalesce(m.canonical, m.entity) AS entity,
    m.entity_type,
    list(DISTINCT m.entity ORDER BY m.entity) AS article_entities,
    flatten(list(m.surface_forms)) AS surface_forms,
    sum(m.mention_count)::INT AS mention_count,
    min(m.first_position) AS first_position
FROM mapped m
SEMI JOIN merged g ON g.article_id = m.article_id AND g.entity = coalesce(m.canonical, m.entity)
                      AND g.entity_type = m.entity_type
GROUP BY m.article_id, coalesce(m.canonical, m.entity), m.entity_type;
