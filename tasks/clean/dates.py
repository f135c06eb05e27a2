"""The publication time of an HTML page: htmldate's day, unless the page states its local publication time.

htmldate (run by trafilatura) ranks a date in the URL and UTC meta values highly. Both can name a day other than
the publisher's: a URL is made when the draft is, and "23:59 UTC" is already tomorrow in Cairo. A structured
publication time that carries its own non-zero UTC offset was written in the publisher's zone, so its calendar
day is the day the publisher printed. Values in UTC ("Z", "+00:00") say nothing about that zone and are left to
htmldate. The stated time only moves htmldate's day by a day or two (a zone, a draft): a page whose structured
values name dates weeks apart (first published, then updated and re-dated) keeps htmldate's choice between them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import lxml.html

_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{10,40})"')
_META_PUBLISHED = {"article:published_time", "og:published_time", "datepublished"}
_MOST_MOVED = timedelta(days=2)
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)  # before news sites dated their pages


def publication_time(tree: lxml.html.HtmlElement | None, htmldate_day: str | None) -> str | None:
    """ISO publication time or day of a page; None when neither the page nor htmldate has one."""
    local = stated_local_time(tree) if tree is not None else None
    if local is None:
        return htmldate_day
    if htmldate_day and abs(local.date() - date.fromisoformat(htmldate_day[:10])) > _MOST_MOVED:
        return htmldate_day
    return local.isoformat()


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
