"""What a source lists: the article links of an RSS or Atom feed (feedparser), the pages of a sitemap or news sitemap
and the sitemaps of a sitemap index, or the lines of a plain URL list. Relative links are resolved against the
listing's own URL, and every link is normalised (courlan: lower-case host, default port, tracking parameters and
fragment dropped), so an article listed by three feeds is one URL.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, field
from urllib.parse import urljoin
from xml.etree import ElementTree

import feedparser
from courlan import normalize_url

from tasks.gather.sources import is_web_address

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # what the sitemaps protocol allows one file, uncompressed


class BadListing(ValueError):
    """A listing that cannot be read (malformed XML, a feed with no entries and a parse error)."""


@dataclass(slots=True)
class Listing:
    pages: list[str] = field(default_factory=list)  # article URLs, normalised, each once, in listing order
    sitemaps: list[str] = field(default_factory=list)  # more listings to read (a sitemap index's sitemaps)
    problem: str | None = None  # what is wrong with a listing that could still be read (a feed cut off)


def read_listing(kind: str, body: bytes, base_url: str) -> Listing:
    """The links ``body`` (a listing of ``kind``, fetched from ``base_url``) holds."""
    if kind == "feed":
        links, problem = _feed_links(body)
        return Listing(pages=_unique(base_url, links), problem=problem)
    if kind == "sitemap":
        return _sitemap(body, base_url)
    lines = body.decode("utf-8", "replace").splitlines()
    return Listing(pages=_unique(base_url, [s for line in lines if (s := line.strip()) and not s.startswith("#")]))


def normalised(url: str) -> str | None:
    """The URL a page is known by, or None for one that is not a web page address."""
    if not is_web_address(url):
        return None
    try:
        return str(normalize_url(url, strict=True))
    except ValueError:
        return None


def _feed_links(body: bytes) -> tuple[list[str], str | None]:
    """The entries' links, and what is wrong with a malformed feed, whose readable entries still count."""
    feed = feedparser.parse(body)
    if not feed.version and not feed.entries:
        raise BadListing("not an RSS or Atom feed")
    links = []
    for entry in feed.entries:
        link = entry.get("link") or next((x.get("href") for x in entry.get("links", []) if x.get("href")), None)
        if link:
            links.append(link)
    return links, f"malformed feed: {feed.get('bozo_exception')}" if feed.bozo else None


def _sitemap(body: bytes, base_url: str) -> Listing:
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError, zlib.error) as error:
            raise BadListing(f"a gzipped sitemap that does not inflate: {error}") from error
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise BadListing(f"malformed sitemap XML: {error}") from error
    locs = [(el.tag.rsplit("}", 1)[-1], (loc.text or "").strip()) for el in root
            for loc in el if loc.tag.rsplit("}", 1)[-1] == "loc"]
    index = root.tag.rsplit("}", 1)[-1] == "sitemapindex"
    urls = [u for tag, u in locs if u and tag == ("sitemap" if index else "url")]
    return Listing(sitemaps=_unique(base_url, urls)) if index else Listing(pages=_unique(base_url, urls))


def _unique(base_url: str, links: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for link in links:
        if (url := normalised(urljoin(base_url, link))) is not None:
            seen.setdefault(url, None)
    return list(seen)
