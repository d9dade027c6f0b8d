-- Ranked full-text search: BM25 (k1 = 1.2, b = 0.75) over the postings table, one row
-- per matching article.
-- SELECT title, outlet, score FROM search('security guarantees') ORDER BY score DESC LIMIT 10;
-- Each run appends its own term-sorted postings file, so the index grows with new pages
-- only; document frequencies are counted across all runs at query time. `postings_file`
-- is the file the article's postings are in, in its run folder with its other rows.
CREATE OR REPLACE MACRO search_scores(q) AS TABLE
WITH query_terms AS (SELECT DISTINCT unnest(na_terms(q)) AS term),
collection AS (SELECT count(*) AS n, avg(doc_len) AS avg_len FROM search_docs),
-- Materialised: read once from the postings files, used twice below.
hits AS MATERIALIZED (SELECT p.* FROM postings_located p SEMI JOIN query_terms USING (term)),
term_df AS (SELECT term, count(*) AS df FROM hits GROUP BY term)
SELECT h.article_id,
       sum(ln(1 + (c.n - d.df + 0.5) / (d.df + 0.5))
           * h.tf * (1.2 + 1) / (h.tf + 1.2 * (1 - 0.75 + 0.75 * h.doc_len / c.avg_len))) AS score,
       count(*) AS matched_terms,
       any_value(h.filename) AS postings_file
FROM hits h JOIN term_df d USING (term) CROSS JOIN collection c
GROUP BY h.article_id;

-- Every match with what a result list shows. The columns are named, not a.*: DuckDB
-- then reads only these from the Parquet files (with a.* it read every column of every
-- article: 1 s at 100,000 articles). Join `documents` or `articles` for the rest.
-- (`newsarchive search` ranks search_scores first and joins these for its top hits only.)
-- The scores are materialised first: joined as a nested macro, DuckDB planned the joins
-- before the postings lookup and took 0.9 s at 100,000 articles, not 0.15 s.
CREATE OR REPLACE MACRO search(q) AS TABLE
WITH s AS MATERIALIZED (SELECT * FROM search_scores(q))
SELECT s.article_id, s.score, s.matched_terms, d.title, d.url,
       o.outlet, o.wire_service, p.published_date, l.language
FROM s
JOIN documents d USING (article_id)
LEFT JOIN article_outlets o USING (article_id)
LEFT JOIN article_dates p USING (article_id)
LEFT JOIN article_languages l USING (article_id);
