"""Deterministic keys: the same input always gives the same id, so re-runs never duplicate rows."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_WWW = re.compile(r"^www\d*\.")
_TRACKING = re.compile(r"^(?:utm_|fbclid$|gclid$|mc_cid$|mc_eid$|cmpid$|ref$|smid$)", re.IGNORECASE)


def _digest(*parts: str, length: int = 16) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]


def normalize_text(text: str) -> str:
    """NFC, whitespace collapsed: the form hashed for ids, so layout changes do not change identity."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalize_url(url: str | None) -> str | None:
    """Lower-case scheme and host, no "www.", fragment, tracking parameters or trailing slash."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return url.strip()
    host = _WWW.sub("", parts.netloc.lower())
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    return urlunsplit(("https", host, parts.path.rstrip("/") or "/", query, ""))


def normalize_domain(domain: str | None) -> str | None:
    """"https://www.FoxNews.com/x", "www1.foxnews.com:443" → "foxnews.com"."""
    if not domain or not domain.strip():
        return None
    value = domain.strip().lower()
    if "//" in value:
        value = urlsplit(value).netloc
    value = _WWW.sub("", value.split("/")[0].split(":")[0]).strip(".")
    return value if "." in value else None


def article_id(url: str | None, raw_body: str) -> str:
    """Id of an article: its normalised URL (if any) and its raw body as read, before cleaning."""
    return _digest("article", normalize_url(url) or "", normalize_text(raw_body))


def content_hash(clean_text: str) -> str:
    return hashlib.sha256(normalize_text(clean_text).encode("utf-8")).hexdigest()


def outlet_id(name: str | None, domain: str | None) -> str | None:
    """Id of an outlet: its domain when known, else its case-folded name; None when neither is known."""
    if domain := normalize_domain(domain):
        return _digest("outlet-domain", domain)
    if name and name.strip():
        return _digest("outlet-name", normalize_text(name).casefold())
    return None


def entity_id(label: str, key: str) -> str:
    """Id of an entity: its label type and normalised name key (see ``tasks.names.entity_key``)."""
    return _digest("entity", label, key)


def story_id(first_article_id: str) -> str:
    """Id of a story made from the earliest article it was first published with; it keeps it (``stories``)."""
    return _digest("story", first_article_id)


def first_order(published_at: datetime | None, article_id: str,
                ingested_at: datetime | None = None) -> tuple[bool, float, str]:
    """Sort key of "the earliest article", the one a duplicate group or a story is named after: dated before
    undated, then by publication (undated ones by ingestion, when known), then by id, so the choice never depends
    on the order articles were read in."""
    moment = published_at or ingested_at
    return published_at is None, moment.timestamp() if moment else 0.0, article_id
