"""What makes two pages the same: canonical URLs, normalised-text hashes, article ids."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url

WORDS = re.compile(r"\w+")


# Query parameters that say how a reader arrived or which rendering was served, not which
# article: courlan drops utm_* and the like; these are the ones it keeps.
NOT_ARTICLE_PARAMS = frozenset({
    "amp", "outputtype", "ocid", "cmpid", "cmp", "smid", "mc_cid", "mc_eid", "ref", "ref_src", "igshid",
    "ncid", "ito", "share", "at_medium", "at_campaign",
})
# Host prefixes of the same site's mobile and AMP renderings.
VARIANT_HOSTS = ("www.", "m.", "mobile.", "amp.")
AMP_PATH = re.compile(r"(?:/amp/?$|^/amp(?=/)|\.amp(?=\.html?$|$))")


def canonical_url(url: str | None) -> str | None:
    """One URL per article: courlan's normalisation (lower-cased host, default port and
    tracking parameters dropped, parameters sorted), without the fragment, and with the
    variants of one page folded together: http and https, `www.`/`m.`/`amp.` hosts, AMP
    paths (`/amp`, `.amp`), a trailing slash, and the parameters above. Not courlan's
    strict mode, which drops every parameter outside a short list and so makes
    `view?idxno=1` and `view?idxno=2` one article."""
    if not url:
        return None
    try:
        parts = urlsplit(normalize_url(urlsplit(url.strip())._replace(fragment="")))
    except ValueError:
        return None
    host = parts.netloc
    for prefix in VARIANT_HOSTS:
        if host.startswith(prefix) and "." in host[len(prefix):]:
            host = host[len(prefix):]
            break
    path = AMP_PATH.sub("", parts.path).rstrip("/") or "/"
    query = "&".join(p for p in parts.query.split("&") if p and p.split("=")[0].lower() not in NOT_ARTICLE_PARAMS)
    return urlunsplit(("https", host, path, query, ""))


def content_hash(text: str) -> str:
    """Hash of the text's words in lower case, so white space and punctuation edits do not count."""
    return hashlib.sha256(" ".join(WORDS.findall(text.lower())).encode()).hexdigest()


def article_id(canonical: str | None, text_hash: str) -> str:
    key = f"url:{canonical}" if canonical else f"text:{text_hash}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]
