"""Furniture removal for pages that arrive as already-scraped text.

trafilatura needs markup to tell the body from the furniture, and scraped text has
none left, so this works line by line: known furniture (player controls, sponsor
labels, browser warnings, image labels, credit lines), captions (a line repeated at
once: alt text then caption; a line ending in a photo credit), everything above the
headline (navigation and kickers), and donation or subscription appeals, which run
from the first appeal paragraph in the article's second half to its end.
Every stripped line is returned with its reason, for the taggers and for users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Calls to follow the outlet or have it mailed, written alike on every site ("Follow The
# Gleaner on Twitter", "Get the best of News18 delivered to your inbox", "Get The Times of
# Israel's Daily Edition by email … Free Sign Up", "You can unsubscribe at any time").
FOLLOW_PROMO = (r"^(?:follow|you can (?:contact|follow|find)) (?:us|[\w.&’' -]{1,50}?) on (?:twitter|x|facebook"
                r"|instagram|linkedin|tiktok|youtube|threads|bluesky|telegram|whatsapp|flipboard|google news)\b"
                r"|^follow us\s*:"
                r"|^get (?:the|our|a|your) [^.]{0,80}\b(?:delivered (?:straight |directly )?to your inbox|in your inbox"
                r"|by e-?mail)\b|^you can unsubscribe at any time\b")
LINE_FURNITURE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.I))
    for reason, pattern in (
        ("player", r"^(?:\d{1,2}:)?\d{1,2}:\d{2}$"),
        ("player", r"\blisten now playing\b|^(?:listen|play|pause|now playing|next up:?)$"),
        ("navigation", r"^(?:subscribe|sign in|log in|menu|search|share|close|home|more|watch live"
                       r"|skip to (?:main )?content)$"),
        ("sponsored", r"^(?:sponsored (?:message|content)|advertisement|paid content|promoted)$"),
        ("browser_warning", r"\b(?:ie ?11|internet explorer)\b.*\bnot supported\b|\bupdate your browser\b"
                            r"|\benable javascript\b|\byour browser (?:is not|isn't|does not)\b"),
        ("promo", r"^get more news|^(?:download|get) (?:the|our) app\b|^sign up for (?:our|the) newsletter\b"
                  r"|^(?:read|see) more:|^related:|" + FOLLOW_PROMO),
        ("credit", r"^(?:copyright\s*(?:©|\(c\))?|©|\(c\))\s*\d{4}\b|\ball rights reserved\b"),
    )
)
# Screen-reader labels of images ("radio tower icon laist logo"): lower case, short.
IMAGE_LABEL = re.compile(r"^[a-z0-9 '’-]{0,60}\b(?:icon|logo)\b[a-z0-9 '’-]{0,60}$")
# A caption glued to its credit: "...seven years of fighting.Andriy Dubchak / AP"
PHOTO_CREDIT_END = re.compile(
    r"[.!?”\"’)]\s*[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}\s+/\s+[A-Z][\w&'’.-]*(?:\s+[\w&'’.-]+){0,3}$"
)
APPEAL_CUES = tuple(
    re.compile(p, re.I)
    for p in (
        r"\bdonat(?:e|ion|ions|ing)\b", r"\btax-deductible\b",
        r"\bbecome an? (?:monthly |sustaining )?(?:member|supporter|subscriber)\b",
        r"\bsupport (?:us|our|independent|local)\b", r"\bsubscribe\b", r"\bfunding\b",
        r"\bour (?:newsroom|mission|journalism|reporting)\b", r"\bindependent (?:reporting|journalism|news)\b",
        r"\breaders like you\b",
    )
)
TITLE_WORDS = (4, 30)


@dataclass
class CleanText:
    title: str | None
    text: str
    furniture: list[tuple[str, str]] = field(default_factory=list)


def _normalise(line: str) -> str:
    return " ".join(line.replace("\u00a0", " ").split()).lstrip("•·*-– ").strip()


def line_furniture(line: str) -> str | None:
    """The reason a single line is furniture, or None."""
    for reason, pattern in LINE_FURNITURE:
        if pattern.search(line):
            return reason
    if IMAGE_LABEL.match(line):
        return "image_label"
    if PHOTO_CREDIT_END.search(line):
        return "photo_caption"
    return None


def appeal_score(paragraph: str) -> int:
    return sum(1 for cue in APPEAL_CUES if cue.search(paragraph))


def _is_title(line: str) -> bool:
    words = len(line.split())
    return TITLE_WORDS[0] <= words <= TITLE_WORDS[1] and not line.endswith((".", ":", ";", ","))


def clean_text(text: str) -> CleanText:
    # Units are lines; `block` remembers blank-line grouping so the output keeps paragraphs.
    units: list[tuple[int, str]] = []
    block = 0
    for raw_line in text.splitlines():
        line = _normalise(raw_line)
        if not line:
            block += 1
            continue
        units.append((block, line))

    reasons: list[str | None] = [line_furniture(line) for _, line in units]
    for i in range(1, len(units)):
        if units[i][1] == units[i - 1][1]:
            reasons[i - 1] = reasons[i] = "caption"

    title_at = next((i for i, (_, line) in enumerate(units) if reasons[i] is None and _is_title(line)), None)
    if title_at is not None:
        for i in range(title_at):
            reasons[i] = reasons[i] or "before_title"
        reasons[title_at] = "title"

    body = [i for i in range(len(units)) if reasons[i] is None]
    half = len(body) // 2
    for n, i in enumerate(body):
        score = appeal_score(units[i][1])
        if score >= 2 and n >= half:
            for j in body[n:]:
                reasons[j] = "appeal"
            break
        if score >= 3:
            reasons[i] = "appeal"

    paragraphs: list[list[str]] = []
    last_block = None
    for (blk, line), reason in zip(units, reasons):
        if reason is not None:
            continue
        if blk != last_block:
            paragraphs.append([])
            last_block = blk
        paragraphs[-1].append(line)
    furniture = [(r, line) for (_, line), r in zip(units, reasons) if r not in (None, "title")]
    return CleanText(
        title=units[title_at][1] if title_at is not None else None,
        text="\n\n".join("\n".join(p) for p in paragraphs),
        furniture=furniture,
    )
