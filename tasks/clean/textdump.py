"""Text dumps (a page's visible text, one block per line) → article body and metadata.

Each line is classified from its own shape and its neighbours: prose, short lines, headline-shaped lines,
repeated lines (alt text shown twice), captions with a glued or bracketed photo credit and the alt text just
before them, share/follow lines, bylines, labels ("Published", "Advertisement"), legal and cookie notices,
author bios, teasers ("…"-truncated or long headline-shaped promos) and related-links headers. The body is
the run of lines with the most prose, found as a maximum-sum subarray over per-line scores (prose earns its
word count, menus and link lists cost, the run never crosses a related-links header), minus the boilerplate
kinds inside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from tasks.clean import lines as ln
from tasks.clean.bylines import parse_byline
from tasks.records import Extracted

_BYLINE = re.compile(r"^(?:(?P<pre>.{2,60}?)\s+)?By:?\s+(?P<rest>[A-Z][^.!?]{2,100})$")
_PUBLISHED = re.compile(r"^(?:Published|Posted|Updated|Last updated)(?: on)?:?\s+(?P<date>.*\d.*)$", re.IGNORECASE)


_TITLE_WINDOW = 12  # lines before the body searched for the title


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
    start, end = main_region([_SCORES.get(r.kind, 0.0) or _line_score(r) for r in rows])
    end = _with_announced_list(rows, end)
    _title_and_subtitle(rows[:start], out)
    out.paragraphs = [r.text for r in rows[start:end] if r.kind in _BODY_KINDS]
    return out


# Kinds kept inside the main region, and the fixed region scores of the kinds that are not scored by length.
_BODY_KINDS = frozenset({"prose", "short", "headline", "ellipsis"})
_SCORES = {
    "related": float("-inf"), "comment": float("-inf"), "markup": -3.0, "legal": -20.0, "teaser": -3.0,
    "ellipsis": -2.0, "caption": -0.5, "alt": -0.5, "repeat": -1.0, "share": -1.0, "label": -0.5, "dateline": -1.0,
    "byline": -1.0, "bio": -3.0,
}
_LIST_KINDS = frozenset({"short", "headline"})
_SKIPPABLE = frozenset({"caption", "alt", "label", "share"})
_MAX_LIST = 80  # lines of a list announced by the body's last line ("… tour dates:")


def _line_score(row: _Line) -> float:
    """Prose earns its word count; any other line costs a little, more when it is longer (menus, link lists)."""
    n = ln.word_count(row.text)
    return float(n) if row.kind == "prose" else -(1.0 + 0.25 * n)


def main_region(scores: list[float]) -> tuple[int, int]:
    """The run of lines with the largest total score (maximum subarray): the article body's extent."""
    best, best_span = 0.0, (0, 0)
    total, start = 0.0, 0
    for i, score in enumerate(scores):
        if total <= 0:
            total, start = 0.0, i
        total += score
        if total > best:
            best, best_span = total, (start, i + 1)
    return best_span


def _with_announced_list(rows: list[_Line], end: int) -> int:
    """Extend the body over a list announced with a colon ("The tour dates:") by its last line, or by a line of
    three or more words just after it (past captions); the list ends at the next colon line or non-list line."""
    at = end
    while 0 < at < len(rows) and rows[at].kind in _SKIPPABLE:
        at += 1
    if 0 < at < len(rows) and rows[at].kind in _LIST_KINDS and _announces(rows[at]):
        end = at + 1 if ln.word_count(rows[at].text) >= 3 else end
    if not 0 < end < len(rows) or not _announces(rows[end - 1]):
        return end
    stop = end
    while stop < len(rows) and stop - end < _MAX_LIST and rows[stop].kind in _LIST_KINDS and not _announces(rows[stop]):
        stop += 1
    return stop


def _announces(row: _Line) -> bool:
    return row.text.endswith((":", "："))


def _split(text: str) -> list[_Line]:
    rows: list[_Line] = []
    block = 0
    for raw in text.splitlines():
        line = ln.without_link_cards(" ".join(unicodedata.normalize("NFC", raw).split()))
        if not line:
            block += 1
            continue
        rows.append(_Line(line, block))
    return rows


def _classify(rows: list[_Line], out: Extracted) -> None:
    seen = Counter(r.text.casefold() for r in rows)
    has_blocks = len({r.block for r in rows}) > 1
    for i, row in enumerate(rows):
        line = row.text
        if ln.is_related_header(line):
            row.kind = "related"
        elif credit := ln.caption_credit(line):
            row.kind = "caption"
            out.image_credits.append(credit)
            _mark_alt_text(rows, i, has_blocks)
        elif ln.is_comment_header(line):
            row.kind = "comment"
        elif ln.is_markup(line):
            row.kind = "markup"
        elif ln.is_share(line):
            row.kind = "share"
            out.outlet_domain = out.outlet_domain or ln.domain_in(line)
        elif seen[line.casefold()] > 1:
            row.kind = "repeat"
        elif (match := _PUBLISHED.match(line)) and ln.word_count(line) <= 20:
            row.kind = "dateline"
            out.published = out.published or match.group("date")
        elif ln.is_label(line):
            row.kind = "label"
        elif ln.is_legal(line):
            row.kind = "legal"
        elif ln.is_caption_cue(line):
            row.kind = "caption"
        elif (match := _BYLINE.match(line)) and ln.word_count(line) <= 16 and not out.authors:
            row.kind = "byline"
            out.authors, byline_outlet = parse_byline(match.group("rest"), match.group("pre"))
            out.outlet_name = out.outlet_name or byline_outlet
        elif ln.is_bio(line):
            row.kind = "bio"
        elif ln.is_teaser(line):
            row.kind = "teaser"
        elif ln.is_cut_off(line):
            row.kind = "ellipsis"
        elif ln.is_prose(line):
            row.kind = "prose"
        elif ln.is_headline_like(line):
            row.kind = "headline"
        else:
            row.kind = "short"


def _mark_alt_text(rows: list[_Line], caption_at: int, has_blocks: bool) -> None:
    """The line before a caption is its image's alt text when it is shaped like a title, or sits in the
    caption's block (only meaningful when the dump separates blocks with blank lines)."""
    if caption_at == 0:
        return
    prev, caption = rows[caption_at - 1], rows[caption_at]
    if prev.kind in {"prose", "headline", "short", "repeat"} and (
        (has_blocks and prev.block == caption.block) or ln.is_headline_like(prev.text)
    ):
        prev.kind = "alt"


def _title_and_subtitle(head: list[_Line], out: Extracted) -> None:
    """Title: the first headline-shaped line of five or more words before the body; subtitle: the line after it
    when also headline-shaped; tags: short headline-shaped lines just above the title ("Kim Jong Un")."""
    head = head[-_TITLE_WINDOW:]

    def titled(i: int, min_words: int) -> bool:
        return head[i].kind in {"headline", "teaser"} and ln.word_count(head[i].text) >= min_words

    first = next((i for i in range(len(head)) if titled(i, 5)), None)
    if first is None:
        return
    out.title = head[first].text
    if first + 1 < len(head) and titled(first + 1, 6):
        out.subtitle = head[first + 1].text
    above = first
    while above > 0 and head[above - 1].kind == "headline" and ln.word_count(head[above - 1].text) <= 4:
        above -= 1
    out.tags = [r.text for r in head[above:first]]
