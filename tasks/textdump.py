"""Text dumps (a page's visible text, one block per line) → article body and metadata.

Each line is classified from its own shape and its neighbours: repeated lines (alt text shown twice), caption
lines with a glued or bracketed photo credit and the alt text just before them, share/follow lines, bylines,
labels ("Published", "Advertisement"), author bios, headline-shaped teasers, and everything after a
"You May Also Like" header. What is left and reads like prose is the body.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from tasks import lines as ln
from tasks.records import Extracted

_BYLINE = re.compile(r"^(?:(?P<pre>.{2,60}?)\s+)?By:?\s+(?P<rest>[A-Z][^.!?]{2,100})$")
_PUBLISHED = re.compile(r"^(?:Published|Posted|Updated|Last updated)(?: on)?:?\s+(?P<date>.*\d.*)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*(?:,|\||·|•|—|–|\s-\s|\band\b|&)\s*")
OUTLET_WORDS = frozenset({
    "News", "Times", "Post", "Press", "Journal", "Tribune", "Herald", "Network", "Reuters", "AP", "AFP", "Agency",
    "Daily", "Magazine", "Media", "Online", "TV", "Radio", "Guardian", "Telegraph", "Mail", "Sun", "Star", "Digital",
    "Wire", "Associated", "Gazette", "Chronicle", "Observer", "Review", "Report", "Insider", "Today", "Weekly",
    "Express", "Independent", "Standard", "Examiner", "Bloomberg", "CNN", "BBC", "NPR",
})


@dataclass(slots=True)
class _Line:
    text: str
    block: int  # lines with no blank line between them share a block
    kind: str = "other"


def extract(text: str) -> Extracted:
    """Body paragraphs and metadata of one text dump."""
    rows = _split(text)
    out = Extracted()
    _classify(rows, out)
    first_body = next((i for i, r in enumerate(rows) if r.kind == "body"), len(rows))
    _title_and_subtitle(rows[:first_body], out)
    out.paragraphs = [r.text for r in rows if r.kind == "body"]
    return out


def _split(text: str) -> list[_Line]:
    rows: list[_Line] = []
    block = 0
    for raw in text.splitlines():
        line = " ".join(unicodedata.normalize("NFC", raw).split())
        if not line:
            block += 1
            continue
        rows.append(_Line(line, block))
    return rows


def _classify(rows: list[_Line], out: Extracted) -> None:
    seen = Counter(r.text.casefold() for r in rows)
    related_cut = False
    for i, row in enumerate(rows):
        line = row.text
        if related_cut:
            row.kind = "related"
        elif ln.is_related_header(line) and any(r.kind == "body" for r in rows[:i]):
            row.kind, related_cut = "related", True
        elif credit := ln.caption_credit(line):
            row.kind = "caption"
            out.image_credits.append(credit)
            _mark_alt_text(rows, i)
        elif ln.is_share(line):
            row.kind = "share"
            out.outlet_domain = out.outlet_domain or ln.domain_in(line)
        elif seen[line.casefold()] > 1:
            row.kind = "repeat"
        elif (match := _PUBLISHED.match(line)) and len(ln.words(line)) <= 12:
            row.kind = "dateline"
            out.published = out.published or match.group("date")
        elif ln.is_label(line):
            row.kind = "label"
        elif (match := _BYLINE.match(line)) and len(ln.words(line)) <= 16 and not out.authors:
            row.kind = "byline"
            out.authors, byline_outlet = parse_byline(match.group("rest"), match.group("pre"))
            out.outlet_name = out.outlet_name or byline_outlet
        elif ln.is_bio(line) and any(r.kind == "body" for r in rows[:i]):
            row.kind = "bio"
        elif ln.is_prose(line):
            row.kind = "body"
        elif ln.is_headline_like(line):
            row.kind = "headline"


def _mark_alt_text(rows: list[_Line], caption_at: int) -> None:
    """The line before a caption is its image's alt text when it is in the same block or shaped like a title."""
    if caption_at == 0:
        return
    prev, caption = rows[caption_at - 1], rows[caption_at]
    if prev.kind in {"body", "headline", "other", "repeat"} and (
        prev.block == caption.block or ln.is_headline_like(prev.text)
    ):
        prev.kind = "alt"


def _title_and_subtitle(head: list[_Line], out: Extracted) -> None:
    """Title: the first headline-shaped line of five or more words before the body; subtitle: the next one."""
    candidates = [i for i, r in enumerate(head) if r.kind == "headline" and len(ln.words(r.text)) >= 5]
    if not candidates:
        return
    first = candidates[0]
    out.title = head[first].text
    if first + 1 < len(head) and head[first + 1].kind == "headline" and len(ln.words(head[first + 1].text)) >= 6:
        out.subtitle = head[first + 1].text


def parse_byline(rest: str, before: str | None = None) -> tuple[list[str], str | None]:
    """Authors and outlet from the text after "By" ("Jasmine Baehr Fox News", "A and B, Reuters")."""
    rest = rest.strip()
    if before and rest.startswith(before.strip()):  # "Jasmine Baehr By Jasmine Baehr Fox News"
        return [before.strip()], rest[len(before.strip()) :].strip(" ,|-–—") or None
    authors: list[str] = []
    outlet: str | None = None
    for part in filter(None, _SEPARATORS.split(rest)):
        tokens = part.split()
        glued = not authors and tokens[0] != "The" and len(tokens) > 2  # "Jane Doe Fox News"
        if glued and tokens[-1].strip(".") in OUTLET_WORDS:
            k = min(3, len(tokens) - 2)
            name, outlet = " ".join(tokens[:-k]), outlet or " ".join(tokens[-k:])
            authors.append(name)
        elif any(t.strip(".") in OUTLET_WORDS for t in tokens):
            outlet = outlet or part
        elif _looks_like_name(tokens):
            authors.append(part)
    return authors, outlet


def _looks_like_name(tokens: list[str]) -> bool:
    return 1 <= len(tokens) <= 4 and all(t[:1].isupper() for t in tokens)
