"""The outlet and wire-service registry (`outlets.toml`) as data: each outlet's names,
codes, aliases, domains and furniture markers, looked up by domain or by name, and the
registrable domain of a URL that it is keyed by.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from courlan import get_base_url
from tld import get_fld


@dataclass(frozen=True)
class Outlet:
    name: str
    kind: str = ""
    country: str = ""
    language: str = ""
    parent: str = ""
    founded: int | None = None
    domains: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    wire: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def is_wire_service(self) -> bool:
        return bool(self.wire)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.wire, *self.aliases)


@dataclass(frozen=True)
class Registry:
    outlets: tuple[Outlet, ...]
    by_domain: dict[str, Outlet] = field(default_factory=dict)
    by_name: dict[str, Outlet] = field(default_factory=dict)  # casefolded name, code or alias

    @property
    def wire_services(self) -> tuple[Outlet, ...]:
        return tuple(o for o in self.outlets if o.wire)

    def named(self, text: str | None) -> Outlet | None:
        """The outlet whose name, code or alias `text` is, in any case."""
        return self.by_name.get(text.strip().casefold()) if text else None

    def founded(self, name: str | None) -> int | None:
        """The year the outlet `name` began publishing, where the registry knows it: no
        article of it can be older."""
        outlet = self.named(name)
        return outlet.founded if outlet else None


def build_registry(outlets: tuple[Outlet, ...]) -> Registry:
    by_name: dict[str, Outlet] = {}
    for o in outlets:  # an outlet's own name wins over another's alias
        for n in o.names:
            by_name.setdefault(n.casefold(), o)
    for o in outlets:
        by_name[o.name.casefold()] = o
    return Registry(outlets, {d: o for o in outlets for d in o.domains}, by_name)


@lru_cache(maxsize=8)
def load_registry(path: Path) -> Registry:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    outlets = tuple(
        Outlet(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()})
        for entry in raw.get("outlet", [])
    )
    return build_registry(outlets)


def letters(text: str) -> str:
    """Letters and digits, case and accents folded, as names and domains are compared:
    "elpais" of "EL PAÍS"."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.sub(r"[\W_]", "", "".join(c for c in folded if not unicodedata.combining(c)))


# Platforms whose every subdomain is a site of its own (foo.wordpress.com), which the public
# suffix list, unlike blogspot.com's or github.io's, does not say: their sites' domain is
# the host, or every blog there would be one outlet, "wordpress.com".
HOSTING_PLATFORMS = frozenset({
    "wordpress.com", "substack.com", "medium.com", "tumblr.com", "wixsite.com", "weebly.com", "typepad.com",
    "livejournal.com", "over-blog.com", "hatenablog.com", "jimdofree.com", "ghost.io", "beehiiv.com",
})


def registered_domain(url: str | None) -> str | None:
    """The registrable domain of a URL, or its host on a hosting platform."""
    if not url:
        return None
    try:
        base = get_base_url(url)
        domain = get_fld(base, fail_silently=True)
    except ValueError:
        return None
    if domain in HOSTING_PLATFORMS:
        host = base.split("://", 1)[-1].split(":")[0].lower().removeprefix("www.")
        if host.endswith("." + domain):
            return host
    return domain
