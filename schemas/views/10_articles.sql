-- One row per archived article with its tags and where each came from: the table most
-- queries start from. Every column of the four tables but the documents' furniture_removed
-- (the lines cut from the text) and the tag tables' own run_id.
CREATE OR REPLACE VIEW articles AS
SELECT
    d.article_id, d.url, d.canonical_url,
    o.outlet, o.outlet_method, o.outlet_evidence, o.wire_service, o.wire_method, o.wire_evidence, o.is_syndicated,
    o.content_source, o.content_source_method, o.content_source_evidence, o.original_url, o.original_article_id,
    d.title, d.authors, d.sitename, d.description,
    p.published_date, p.published_at, p.published_utc_offset, p.published_method, p.published_evidence,
    p.published_confidence,
    p.published_inferred,
    l.language, l.language_probability, l.language_method, l.declared_language, l.declared_language_source,
    d.text, d.word_count, d.content_hash, d.raw_hash, d.page_format, d.extract_method,
    d.source_ref, d.fetched_at, d.fetched_at_method, d.run_id, d.ingested_at
FROM documents d
LEFT JOIN article_dates p USING (article_id)
LEFT JOIN article_languages l USING (article_id)
LEFT JOIN article_outlets o USING (article_id);
