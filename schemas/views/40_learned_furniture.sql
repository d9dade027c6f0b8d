-- Site furniture learned from the archive (pipeline/furniture.py): lines that recur
-- verbatim in at least `min_articles` articles of one outlet and in at least
-- `min_share` of its articles. Runs strip these lines from that outlet's pages, with
-- the thresholds of their settings (furniture_min_articles, furniture_min_share; the
-- defaults here are those settings' defaults).
-- SELECT outlet, line, articles, share FROM learned_furniture();
CREATE OR REPLACE MACRO learned_furniture(min_articles := 3, min_share := 0.1) AS TABLE
WITH lines AS (
    SELECT outlet, line_key, any_value(line) AS line, sum(articles)::BIGINT AS articles,
           min(run_id) AS first_run
    FROM furniture_lines
    GROUP BY outlet, line_key
),
totals AS (
    SELECT outlet, count(*) AS outlet_articles FROM article_outlets WHERE outlet IS NOT NULL GROUP BY outlet
)
SELECT l.outlet, l.line, l.articles, t.outlet_articles, round(l.articles / t.outlet_articles, 3) AS share,
       l.first_run, l.line_key
FROM lines l JOIN totals t USING (outlet)
WHERE l.articles >= min_articles AND l.articles >= min_share * t.outlet_articles
ORDER BY l.outlet, l.articles DESC, l.line;
