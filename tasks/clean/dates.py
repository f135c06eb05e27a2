"""The publication time of an HTML page: the local time the page states, else the one day it shows its readers,
else htmldate's day.

htmldate (run by trafilatura) ranks a date in the URL and UTC meta values highly. Both can name a day other than
the publisher's: a URL is made when the draft is, and "23:59 UTC" is already tomorrow in Cairo. A structured
publication time that carries its own non-zero UTC offset was written in the publisher's zone, so its calendar
day is the day the publisher printed. Values in UTC ("Z", "+00:00") say nothing about that zone and are left to
htmldate. The stated time only moves htmldate's day by a day or two (a zone, a draft): a page whose structured
values name dates weeks apart (first published, then updated and re-dated) keeps htmldate's choice between them.

A page without such a time may still show its readers a date: after a publication label ("Published: 2 March
2019", "Veröffentlicht: 14.05.2018") or in HTML's ``<time>`` element. htmldate weighs a bare ``<meta name=date>`` or
a re-dated JSON-LD value (often the last edit) above it; what the reader sees wins when the page shows exactly one
such day. A page listing other posts, each "published on" its own day, shows several and keeps htmldate's choice;
a ``<time>`` inside a ``<blockquote>`` belongs to the quoted or embedded post, not to the page.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import lxml.html
from htmldate.extractors import try_date_expr

_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{10,40})"')
_META_PUBLISHED = {"article:published_time", "og:published_time", "datepublished"}
_MOST_MOVED = timedelta(days=2)
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before news sites dated their pages
# A publication label in the languages of the pages we read, an optional preposition and colon, then what must
# start a date (a digit, or a capitalised month or weekday: "am das Projekt 2021" is a sentence, not a dateline).
_LABELLED = re.compile(r"\b(?:published|erschienen|veröffentlicht|publiziert|publié|publiée|pubblicato|publicado"
                       r"|gepubliceerd|publicerad)(?:\s+(?:am|on|le|il|el|op|den))?\s*:?\s*([0-9A-ZÄÖÜ].{0,19})",
                       re.IGNORECASE)


def publication_time(tree: lxml.html.HtmlElement | None, htmldate_day: str | None) -> str | None:
    """ISO publication time or day of a page; None when neither the page nor htmldate has one."""
    if tree is None:
        return htmldate_day
    local = stated_local_time(tree)
    if local and not (htmldate_day and abs(local.date() - date.fromisoformat(htmldate_day[:10])) > _MOST_MOVED):
        return local.isoformat()
    return shown_day(tree) or htmldate_day


def shown_day(tree: lxml.html.HtmlElement) -> str | None:
    """The ISO day the page shows after a publication label or, failing that, in its ``<time>`` elements; None
    unless exactly one day is shown so."""
    text = " ".join(" ".join(tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]")).split())
    labelled = [match.group(1) for match in _LABELLED.finditer(text) if not match.group(1)[0].islower()]
    timed = [node.get("datetime") or node.text_content()
             for node in tree.xpath("//body//time[not(ancestor::blockquote)]")]
    return _only_day(labelled) or _only_day(timed)


def _only_day(values: list[str]) -> str | None:
    latest = datetime.now() + timedelta(days=2)
    days = {try_date_expr(value, "%Y-%m-%d", True, _EARLIEST.replace(tzinfo=None), latest) for value in values}
    days.discard(None)
    return days.pop() if len(days) == 1 else None


def stated_local_time(tree: lxml.html.HtmlElement) -> datetime | None:
    """The first JSON-LD ``datePublished`` or published-time meta value with a non-zero UTC offset."""
    for value in _stated_values(tree):
        stamp = _parse(value)
        offset = stamp.utcoffset() if stamp else None
        if stamp and offset and _EARLIEST <= stamp <= datetime.now(UTC) + timedelta(days=2):
            return stamp
    return None


def _stated_values(tree: lxml.html.HtmlElement) -> list[str]:
    values = [match.group(1) for script in tree.xpath("//script[@type='application/ld+json']")
              for match in _LD_PUBLISHED.finditer(script.text_content() or "")]
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
        if key in _META_PUBLISHED and node.get("content"):
            values.append(node.get("content", ""))
    return values


def _parse(value: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return stamp if stamp.tzinfo else None
