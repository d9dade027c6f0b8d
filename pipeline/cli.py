"""The `newsarchive` command: run, nightly, backfill, extract, reprocess, compact, reindex, search, sql,
report, tables, serve, export-feeds."""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import sys
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

import duckdb
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.logs import configure as configure_logs
from pipeline.report import REPORTS, report
from pipeline.search import SearchFilters, search
from pipeline.settings import Settings, SetupError, unknown_variables
from pipeline.sources import SourceError
from pipeline.sources.config import SourceConfigError, absolute_path, parse_ref, without_bar
from pipeline.store import ArchiveBusy, ArchiveMissing, connect

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def settings_from(args: argparse.Namespace) -> Settings:
    """Flags given on the command line override NEWSARCHIVE_* variables, which override defaults."""
    flags = {
        "archive": args.archive,
        "executor": getattr(args, "executor", None),
        "shard_size": getattr(args, "shard_size", None),
        "entities": False if getattr(args, "no_entities", False) else None,
        "fast_extraction": True if getattr(args, "fast_extraction", False) else None,
        "sources_file": getattr(args, "sources_file", None),
        "workers": getattr(args, "workers", None),
        "runner": getattr(args, "runner", None),
        "dask_address": getattr(args, "address", None),
    }
    return Settings(**{k: v for k, v in flags.items() if v is not None})


def local_ref(ref: str) -> str:
    """A source reference with a local path made absolute (the run may work elsewhere)."""
    if Path(ref).expanduser().exists():  # a path, not a reference with an outlet
        without_bar(ref)
    source = parse_ref(ref)
    if source.kind in ("folder", "warc", "urls") and not source.is_remote:
        source = replace(source, location=absolute_path(source.location))
    return source.ref


def local_refs(settings: Settings, refs: list[str]) -> list[str]:
    """The references with local paths made absolute. One that names no source (`feed:`
    with no location, a path with | in its name) fails the run, recorded in `runs` with
    the error as a run none of whose sources can be listed is."""
    try:
        return [local_ref(ref) for ref in refs]
    except SourceConfigError:
        from pipeline.run import begin_run

        with begin_run(settings, refs, settings.executor, entries=[]):  # records the error below as a failed run
            raise


def print_relation(rel: duckdb.DuckDBPyRelation | None, fmt: str = "table", title: str | None = None) -> None:
    """Tables as DuckDB draws them (columns elided to fit), or JSON or CSV for other programs."""
    if rel is None:
        return
    if fmt == "table":
        if title:
            console.print(f"[bold]{title}[/bold]")
        rel.show(max_rows=1000)
        return
    columns, rows = rel.columns, rel.fetchall()
    if fmt == "json":
        print(json.dumps([dict(zip(columns, r)) for r in rows], default=str, indent=1, ensure_ascii=False))
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)


def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    sources = local_refs(settings, args.sources)
    console.print(f"newsarchive: archiving {', '.join(args.sources)} into {settings.archive_dir} "
                  f"({settings.executor} executor)")
    if settings.executor == "prefect":
        from flows.archive import archive_flow, with_runner  # Prefect is imported only when asked for

        summary = with_runner(archive_flow, settings)(sources=sources, settings=settings.model_dump(mode="json"))
    else:
        summary = run_with_progress(settings, sources)
    print_summary(summary)
    return 0


def print_summary(s: dict) -> None:
    archive = s["archive"]
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(s["rejects_by_reason"].items())) or "none"
    console.print(f"\nrun {s['run_id']} {s['status']} in {s['duration_s']:.1f} s")
    if len(s.get("parts", [])) > 1:
        console.print(f"  published as {len(s['parts'])} runs of at most NEWSARCHIVE_RUN_PAGES pages: "
                      f"{', '.join(s['parts'])}")
    if listing := s.get("listing"):
        console.print(f"  {'pages listed (network)':<24}{listing['listed']:>8}  (skipped: "
                      f"{listing['unchanged']} fetched before, {listing['quarantined']} quarantined, "
                      f"{listing['out_of_range']} outside --since/--until)")
    for label, key in (("pages read", "pages_read"), ("unchanged (seen before)", "pages_unchanged"),
                       ("articles archived", "articles_archived"), ("new versions", "versions"),
                       ("duplicates", "duplicates"),
                       ("rejected", "rejected"), ("entity rows", "mentions")):
        console.print(f"  {label:<24}{s[key]:>8}")
    console.print(f"  {'rejects by reason':<24}{reasons:>8}")
    if s["furniture_learned"]:
        console.print(f"  {'furniture lines learned':<24}{s['furniture_learned']:>8}  (see learned_furniture())")
    if s["stale_cleaned"]:
        console.print(f"  {'earlier articles redone':<24}{s['stale_cleaned']:>8}"
                      "  (their outlet's furniture or name learned since they were archived)")
    if s["crashed_runs_found"]:
        console.print(f"  {'crashed runs recorded':<24}{s['crashed_runs_found']:>8}")
    console.print(f"\narchive: {archive}  (Parquet under data/, views in archive.duckdb)")
    command = invoked_as()
    console.print("try:")
    console.print(f'  {command} search "security guarantees" --archive {archive}')
    console.print(f'  {command} sql "SELECT outlet, wire_service, published_date, title FROM articles" --archive {archive}')
    console.print(f"  {command} report --archive {archive}")


def invoked_as() -> str:
    """The command as the user can type it again: `.venv/bin/newsarchive` after `make run`."""
    exe, on_path = Path(sys.argv[0]), shutil.which("newsarchive")
    if exe.name != "newsarchive" or (on_path and Path(on_path).resolve() == exe.resolve()):
        return "newsarchive"
    return sys.argv[0]


def cmd_reprocess(args: argparse.Namespace) -> int:
    from pipeline.reprocess import Selection, reprocess

    settings = settings_from(args)
    selection = Selection(since=args.since, until=args.until, outlet=args.outlet)
    console.print(f"newsarchive: {selection.describe()} in {settings.archive_dir}, from the stored raw pages")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        bar = progress.add_task("articles", total=None)

        def on_folder(done: int, total: int, articles: int) -> None:
            progress.update(bar, advance=articles, description=f"run folder {done}/{total}")

        s = reprocess(settings, selection, on_folder)
    console.print(f"\nreprocess {s.run_id} succeeded in {s.duration_s:.1f} s")
    console.print(f"  {'articles selected':<26}{s.selected:>8}")
    console.print(f"  {'rows replaced (changed)':<26}{s.replaced:>8}")
    console.print(f"  {'unchanged':<26}{s.unchanged:>8}")
    for reason, n in sorted(s.kept.items()):
        console.print(f"  {'kept old rows: ' + reason:<26}{n:>8}")
    return 0


def run_with_progress(settings: Settings, sources: list[str]) -> dict:
    """The plain loop over `sources`, with a progress bar."""
    from pipeline.job import run_plain

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        bar = progress.add_task("pages", total=None)

        def on_shard(done: int, total: int, pages: int) -> None:
            progress.update(bar, advance=pages, description=f"shard {done}/{total}")

        return asdict(run_plain(settings, sources, on_shard))


def cmd_nightly(args: argparse.Namespace) -> int:
    from pipeline.job import configured_sources

    settings = settings_from(args)
    console.print(f"newsarchive: archiving the sources of {settings.sources_file} into {settings.archive_dir} "
                  f"({settings.executor} executor)")
    if settings.executor == "prefect":
        from flows.archive import with_runner
        from flows.nightly import nightly_flow  # Prefect is imported only when asked for

        summary = with_runner(nightly_flow, settings)(settings=settings.model_dump(mode="json"))
    else:
        summary = run_with_progress(settings, configured_sources(settings, "plain"))
    print_summary(summary)
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from pipeline.job import configured_sources

    if args.since and args.until and args.since > args.until:
        err.print(f"newsarchive: --since {args.since} is after --until {args.until}")
        return 2
    window = {k: v for k, v in (("since", args.since), ("until", args.until)) if v}
    settings = Settings(**{**settings_from(args).model_dump(), **window})
    sources = local_refs(settings, args.sources)
    console.print(f"newsarchive: backfill of {', '.join(args.sources) or f'the sources of {settings.sources_file}'} "
                  f"from {settings.since or 'the start'} to {settings.until or 'today'} into {settings.archive_dir} "
                  f"({settings.executor} executor)")
    if settings.executor == "prefect":
        from flows.archive import with_runner
        from flows.nightly import backfill_flow

        summary = with_runner(backfill_flow, settings)(sources=sources or None, settings=settings.model_dump(mode="json"))
    else:
        summary = run_with_progress(settings, sources or configured_sources(settings, "plain"))
    print_summary(summary)
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    from pipeline.compact import compact

    settings = settings_from(args)
    console.print(f"newsarchive: compacting the run folders of {settings.archive_dir} "
                  f"into folders of about {args.target_mb:g} MB")
    s = compact(settings, args.target_mb)
    console.print(f"\ncompact {s.run_id} succeeded in {s.duration_s:.1f} s")
    console.print(f"  {'run folders merged':<26}{s.folders_merged:>8}")
    console.print(f"  {'into folders':<26}{s.folders_written:>8}")
    console.print(f"  {'left as they were':<26}{s.folders_kept:>8}")
    console.print(f"  {'MB merged -> written':<26}{s.bytes_before / 1e6:>8.1f} -> {s.bytes_after / 1e6:.1f}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from pipeline.reindex import reindex

    settings = settings_from(args)
    console.print(f"newsarchive: rebuilding the search index of {settings.archive_dir} from its documents")
    s = reindex(settings)
    console.print(f"\nreindex {s.run_id} succeeded in {s.duration_s:.1f} s")
    console.print(f"  {'articles indexed':<26}{s.articles:>8}")
    console.print(f"  {'run folders':<26}{s.folders:>8}")
    console.print(f"  {'folders rewritten':<26}{s.rewritten:>8}  (their index changed)")
    console.print(f"  {'postings rows':<26}{s.postings:>8}")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from pipeline.records import RawPage, Reject
    from pipeline.sources.files import FolderError, list_entries, read_entry
    from pipeline.stages import extract_one
    from pipeline.store import ArchivePaths

    settings = settings_from(args)
    if args.page == "-":
        raw = RawPage(source_ref="<stdin>", content=sys.stdin.buffer.read(), url=args.url)
    else:
        if not Path(args.page).expanduser().is_file():
            raise SourceError(f"{args.page}: no such file")
        try:
            [entry] = list_entries(args.page)  # with what the folder's manifest knows of the page
        except FolderError as e:  # its folder's manifest cannot be read
            raise SourceError(str(e)) from e
        if entry["kind"] == "unlisted":  # its row of the manifest cannot be taken
            raise SourceError(f"{entry['url']}: {entry['detail']}")
        raw = read_entry({**entry, "url": args.url or entry["url"]}, max_bytes=settings.max_page_bytes)
    archive = ArchivePaths(settings.archive_dir)
    got = raw if isinstance(raw, Reject) else extract_one(raw, settings, archive if archive.catalog.exists() else None)
    if isinstance(got, Reject):
        err.print(f"newsarchive: {got.source_ref}: rejected at {got.stage} ({got.reason}): {got.detail}")
        return 1
    if args.json:
        print(json.dumps(got, default=str, indent=1, ensure_ascii=False))
        return 0
    for key in ("title", "authors", "sitename", "url", "canonical_url", "published_date", "published_method",
                "language", "language_probability", "outlet", "outlet_method", "wire_service", "wire_method",
                "page_format", "extract_method", "word_count"):
        value = got[key]
        console.print(f"[bold]{key:<22}[/bold]{', '.join(value) if isinstance(value, list) else value}",
                      highlight=False)
    if got["furniture"]:
        console.print(f"[bold]{'furniture removed':<22}[/bold]{len(got['furniture'])} lines "
                      f"({', '.join(sorted({f['reason'] for f in got['furniture']}))})")
    console.print()
    console.print(got["text"], markup=False, highlight=False)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    filters = SearchFilters(outlet=args.outlet, language=args.lang, since=args.since, until=args.until,
                            entity=args.entity, wire_service=args.wire)
    with connect(settings_from(args).archive_dir) as con:
        hits = search(con, args.query, filters, limit=args.limit)
    if args.json:
        print(json.dumps(hits, default=str, indent=1, ensure_ascii=False))
        return 0
    if not hits:
        console.print(f"no articles match {args.query!r}")
    for n, h in enumerate(hits, start=1):
        meta = " · ".join(str(v) for v in (h["outlet"] or "(unknown outlet)", h["published_date"] or "undated",
                                              h["wire_service"] and f"wire: {h['wire_service']}") if v)
        console.print(f"[bold]{n}. {h['title'] or '(untitled)'}[/bold]  [dim]{h['score']:.3f}[/dim]")
        console.print(f"   {meta}  [dim]{h['article_id']}[/dim]")
        console.print(f"   {h['snippet']}", markup=False, highlight=False)
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    with connect(settings_from(args).archive_dir) as con:
        print_relation(con.sql(args.query), args.format)
    return 0


def positive(kind: type[int] | type[float]):
    """An argparse type: a number above zero (a LIMIT of -1 reached DuckDB as a traceback)."""
    def parse(value: str):
        number = kind(value)
        if not 0 < number < math.inf:  # nan compares false with everything
            raise argparse.ArgumentTypeError(f"{value} is not a number above zero")
        return number
    parse.__name__ = kind.__name__  # argparse names the type in its "invalid int value" message
    return parse


def report_name(name: str) -> str:
    if name not in REPORTS:
        raise argparse.ArgumentTypeError(f"no report {name!r} (choose from {', '.join(REPORTS)})")
    return name


def cmd_report(args: argparse.Namespace) -> int:
    if args.format != "table" and len(args.names) != 1:
        err.print(f"newsarchive report: --format {args.format} prints one report; name one of {', '.join(REPORTS)}")
        return 2
    with connect(settings_from(args).archive_dir) as con:
        for name in args.names or list(REPORTS):
            print_relation(report(con, name, args.limit, args.include_duplicates), args.format,
                           title=f"{REPORTS[name]} ({name})")
    return 0


def cmd_export_feeds(args: argparse.Namespace) -> int:
    from pipeline.web.feeds import export_feeds

    with connect(settings_from(args).archive_dir) as con:
        written = export_feeds(con, args.folder)
    for path, rows in written:
        console.print(f"  {str(path):<60}{rows:>8} rows", highlight=False)
    console.print(f"wrote {len(written)} files to {args.folder}")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from schemas.tables import markdown_reference

    print(markdown_reference())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from pipeline.store import ArchivePaths
    from pipeline.web.app import create_app

    archive = settings_from(args).archive_dir
    if not ArchivePaths(archive).catalog.exists():
        raise ArchiveMissing(f"no archive at {archive}: run `newsarchive run SOURCE --archive {archive}` first")
    console.print(f"newsarchive: serving {archive} on http://{args.host}:{args.port} (API docs at /docs)")
    uvicorn.run(create_app(archive), host=args.host, port=args.port, log_level="info")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsarchive", description="Turn raw news pages into a searchable archive.")
    sub = p.add_subparsers(dest="command", required=True)

    def with_archive(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--archive", type=Path, help="archive folder (default: $NEWSARCHIVE_ARCHIVE or ./archive)")
        return sp

    def with_fast_extraction(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--fast-extraction", action="store_true",
                        help="trafilatura's fast mode: less time a page, less clean text (see README)")

    def with_parallel(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--workers", type=int, help="processes for extraction and tagging (default: one per core)")
        sp.add_argument("--runner", choices=["local", "dask"], help="local processes (default) or a Dask cluster")
        sp.add_argument("--address", help="the Dask scheduler for --runner dask, e.g. tcp://10.0.0.5:8786")
        return sp

    run = with_parallel(with_archive(sub.add_parser(
        "run", help="archive pages from folders, files, WARC files, URL lists, feeds, sitemaps and sites")))
    run.add_argument("sources", nargs="+", help=(
        "source references: a folder or file of pages (.html, .htm, .txt, optionally .gz), crawl.warc.gz, "
        "warc:URL, urls:URL-or-file, feed:URL, sitemap:URL, site:URL, page:URL or a bare URL; "
        "append |Outlet to name the outlet of pages the registry does not know"))
    run.add_argument("--executor", choices=["prefect", "plain"], help="Prefect flow (default) or a plain loop")
    run.add_argument("--shard-size", type=int, help="pages per shard")
    run.add_argument("--no-entities", action="store_true", help="skip named-entity tagging")
    with_fast_extraction(run)
    run.set_defaults(func=cmd_run)

    ex = with_archive(sub.add_parser(
        "extract", help="print what a run would store for one page (same stages), without storing it"))
    ex.add_argument("page", help="an .html/.htm/.txt file (optionally .gz), or - for standard input")
    ex.add_argument("--url", help="the page's URL, when known (outlet, canonical URL)")
    ex.add_argument("--json", action="store_true", help="everything, including furniture lines and entities")
    ex.add_argument("--no-entities", action="store_true", help="skip named-entity tagging")
    with_fast_extraction(ex)
    ex.set_defaults(func=cmd_extract)

    rp = with_parallel(with_archive(sub.add_parser(
        "reprocess", help="re-extract and re-tag archived articles from their stored raw pages (no fetching)")))
    rp.add_argument("--since", type=date.fromisoformat, help="pages fetched on or after YYYY-MM-DD")
    rp.add_argument("--until", type=date.fromisoformat, help="pages fetched on or before YYYY-MM-DD")
    rp.add_argument("--outlet", help="only this outlet's articles")
    rp.add_argument("--no-entities", action="store_true", help="leave the entity mentions as they are")
    with_fast_extraction(rp)
    rp.set_defaults(func=cmd_reprocess)

    def with_run_options(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--sources-file", type=Path,
                        help="source config (default: $NEWSARCHIVE_SOURCES_FILE or ./sources.toml)")
        sp.add_argument("--executor", choices=["prefect", "plain"], help="Prefect flow (default) or a plain loop")
        sp.add_argument("--shard-size", type=int, help="pages per shard")
        sp.add_argument("--no-entities", action="store_true", help="skip named-entity tagging")
        with_fast_extraction(sp)
        return with_parallel(sp)

    ni = with_run_options(with_archive(sub.add_parser(
        "nightly", help="archive every source of the source config, new pages only (what `make serve` schedules)")))
    ni.set_defaults(func=cmd_nightly)

    bf = with_run_options(with_archive(sub.add_parser(
        "backfill", help="archive the pages feeds and sitemaps date within a range (other sources whole)")))
    bf.add_argument("sources", nargs="*", metavar="SOURCE",
                    help="source references (a folder, feed:URL, sitemap:URL, ...); none: every source of the config")
    bf.add_argument("--since", type=date.fromisoformat, help="pages a feed or sitemap dates on or after YYYY-MM-DD")
    bf.add_argument("--until", type=date.fromisoformat, help="pages a feed or sitemap dates on or before YYYY-MM-DD")
    bf.set_defaults(func=cmd_backfill)

    cp = with_archive(sub.add_parser(
        "compact", help="merge the small run folders into large ones (same rows), published at once"))
    cp.add_argument("--target-mb", type=positive(float), default=64.0, help="size of a merged folder on disk (default 64)")
    cp.set_defaults(func=cmd_compact)

    ri = with_archive(sub.add_parser("reindex", help="rebuild the search index from the archived documents"))
    ri.set_defaults(func=cmd_reindex)

    s = with_archive(sub.add_parser("search", help="ranked full-text search (BM25)"))
    s.add_argument("query")
    s.add_argument("--outlet")
    s.add_argument("--lang")
    s.add_argument("--since", type=date.fromisoformat, help="published on or after YYYY-MM-DD")
    s.add_argument("--until", type=date.fromisoformat, help="published on or before YYYY-MM-DD")
    s.add_argument("--entity", help="articles mentioning this entity (name or surface form)")
    s.add_argument("--wire", help="wire service, e.g. AP")
    s.add_argument("--limit", type=positive(int), default=10)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    q = with_archive(sub.add_parser("sql", help="run SQL against the archive (read-only)"))
    q.add_argument("query")
    q.add_argument("--format", choices=["table", "json", "csv"], default="table")
    q.set_defaults(func=cmd_sql)

    r = with_archive(sub.add_parser("report", help="print the reporting views"))
    r.add_argument("names", nargs="*", type=report_name, metavar="NAME", help=f"{', '.join(REPORTS)} (default: all)")
    r.add_argument("--limit", type=positive(int), default=20)
    r.add_argument("--include-duplicates", action="store_true",
                   help="count the duplicates of each day's articles too (column `pages`)")
    r.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="json and csv print one report: name it")
    r.set_defaults(func=cmd_report)

    sv = with_archive(sub.add_parser("serve", help="the search page, dashboard, feeds and JSON API over HTTP"))
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    sv.set_defaults(func=cmd_serve)

    xf = with_archive(sub.add_parser(
        "export-feeds", help="write every dashboard feed as FOLDER/NAME.json, .csv and .parquet"))
    xf.add_argument("folder", type=Path, metavar="DIR")
    xf.set_defaults(func=cmd_export_feeds)

    t = sub.add_parser("tables", help="print the table reference (Markdown)")
    t.set_defaults(func=cmd_tables)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        configure_logs(Settings().log_format)
        for variable in unknown_variables(os.environ):
            err.print(f"newsarchive: {variable} names no setting and is ignored (see README: Configuration)")
        try:
            return args.func(args)
        except duckdb.IOException as e:
            if "No such file" not in str(e) or args.command not in ("search", "sql", "report"):
                raise
            # The query listed the files just before a reprocess switched generations and
            # found a rewritten one gone (it fails rather than mix); the next sees the new files.
            return args.func(args)
    except (SourceError, SourceConfigError, ArchiveMissing, SetupError) as e:
        err.print(f"newsarchive: {e}")
        return 2
    except ValidationError as e:  # settings from flags and NEWSARCHIVE_* variables
        for problem in e.errors():
            where = ".".join(map(str, problem["loc"])) or "settings"
            err.print(f"newsarchive: {where}: {problem['msg'].removeprefix('Value error, ')}")
        return 2
    except ArchiveBusy as e:
        err.print(f"newsarchive: {e}")
        return 3
    except duckdb.Error as e:
        if args.command != "sql":
            raise
        err.print(f"newsarchive sql: {e}", markup=False, highlight=False)  # the user's query: no traceback
        return 4


if __name__ == "__main__":
    sys.exit(main())
