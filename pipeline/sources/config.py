"""Where pages come from: source references and the source config file.

A source reference is one string, so that a run's plan and its `runs` row can name it:

    seeds                                   a local folder (or one file) of pages
    warc:crawl.warc.gz                      a WARC file, local or over HTTP
    urls:https://example.org/list.txt       a list of page URLs, one per line
    feed:https://example.org/rss            an RSS or Atom feed
    sitemap:https://example.org/sitemap.xml a sitemap, news sitemap or sitemap index
    site:https://example.org/               a home page: its feeds (or a sitemap it links), else its robots.txt sitemaps
    page:https://example.org/story.html     one page

followed by `|Outlet name` when the config names the outlet (the outlet of the source's
pages, over the registry's name for their domain: pipeline/tag/outlets.py). The config file (`sources.toml`) lists
sources per outlet:

    [[outlet]]
    name = "LAist"
    feeds = ["https://laist.com/index.rss"]
    sitemaps = ["https://laist.com/sitemap.xml"]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

KINDS = ("folder", "warc", "urls", "feed", "sitemap", "site", "page")
# The config's list keys, by source kind.
CONFIG_KEYS = {"folders": "folder", "warcs": "warc", "url_lists": "urls", "feeds": "feed",
               "sitemaps": "sitemap", "sites": "site", "pages": "page"}
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


class SourceConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Source:
    kind: str
    location: str
    outlet: str | None = None

    @property
    def ref(self) -> str:
        head = self.location if self.kind == "folder" else f"{self.kind}:{self.location}"
        return f"{head}|{self.outlet}" if self.outlet else head

    @property
    def is_remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))


def absolute_path(location: str | Path) -> str:
    """A local path made absolute, its symbolic links resolved as far as they lead: a link
    loop is left as it is, for the source's listing to reject (Path.resolve raises on one)."""
    return os.path.realpath(Path(location).expanduser())


def shown_path(path: str | Path) -> str:
    """A path as text a table can hold: the bytes of a name that are not UTF-8 (a file named
    on another system, read here as lone surrogates) written as escapes ("name_\\xff.html"),
    as `ls -b` shows them; pyarrow refuses such a string, and with it the run."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def without_bar(location: str) -> str:
    """A local path a source reference can name: | names the outlet, so a path with one in
    it cannot round-trip through a run's plan."""
    if "|" in location:
        raise SourceConfigError(f"{location}: a path with | in its name cannot be a source, since | names the "
                                "outlet (rename it, or name a link to it)")
    return location


def parse_ref(ref: str) -> Source:
    """The source a reference names; a bare path is a folder or file (a WARC file by its name)."""
    head, _, outlet = ref.partition("|")
    kind, sep, location = head.partition(":")
    if not sep or kind not in KINDS or kind == "folder":
        if head.startswith(("http://", "https://")):
            return Source("page", head, outlet or None)
        kind = "warc" if head.lower().endswith(WARC_SUFFIXES) else "folder"
        return Source(kind, head, outlet or None)
    if not location:
        raise SourceConfigError(f"{ref!r}: no location after {kind}:")
    return Source(kind, location, outlet or None)


def load_sources(path: Path) -> list[Source]:
    """The sources a config file lists; relative paths are read from the file's folder."""
    try:
        config = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceConfigError(f"{path}: no source config file (see README: Sources)") from None
    except tomllib.TOMLDecodeError as e:
        raise SourceConfigError(f"{path}: not valid TOML ({e})") from None
    if unknown := set(config) - {"outlet"}:
        raise SourceConfigError(f"{path}: unknown keys {sorted(unknown)} (expected [[outlet]] tables)")
    outlets = config.get("outlet", [])
    # [outlet] is one table; [[outlet]] makes each outlet an item of a list.
    if not (isinstance(outlets, list) and all(isinstance(o, dict) for o in outlets)):
        raise SourceConfigError(f"{path}: write [[outlet]], in double brackets, above each outlet's sources")
    found = []
    for i, outlet in enumerate(outlets):
        name = outlet.get("name")
        if name is not None and not (isinstance(name, str) and name.strip()):
            raise SourceConfigError(f"{path}: outlet {i + 1}: name must be a string, as name = \"LAist\"")
        unknown = set(outlet) - {"name", *CONFIG_KEYS}
        if unknown:
            raise SourceConfigError(f"{path}: outlet {name or i + 1}: unknown keys {sorted(unknown)} "
                                    f"(expected name, {', '.join(CONFIG_KEYS)})")
        for key, kind in CONFIG_KEYS.items():
            locations = outlet.get(key, [])
            # A string where a list belongs would be iterated a character at a time: "/" a folder source.
            if not (isinstance(locations, list) and all(isinstance(x, str) and x.strip() for x in locations)):
                raise SourceConfigError(f"{path}: outlet {name or i + 1}: {key} must be a list of strings, "
                                        f"as {key} = [\"...\"]")
            for location in locations:
                location = location.strip()
                if kind in ("folder", "warc", "urls") and not location.startswith(("http://", "https://")):
                    location = without_bar(absolute_path(Path(path).parent / location))
                found.append(Source(kind, location, name))
    if not found:
        raise SourceConfigError(f"{path}: lists no sources (expected [[outlet]] tables with {', '.join(CONFIG_KEYS)})")
    return found
