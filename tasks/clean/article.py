"""Clean: raw records → articles with a boilerplate-free body and normalised metadata.

Text dumps go through the line cleaner (``textdump``), HTML through trafilatura (``htmlpage``),
and plain JSON bodies through the same line filter the HTML path uses. A record with no body left is
quarantined, never dropped silently.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import py3langid
from dateutil import parser as dateparser
from dateutil.tz import tzoffset
from prefect import task
from prefect.cache_policies import NONE

from tasks import ids
from tasks.clean import htmlpage, textdump
from tasks.clean.bylines import clean_authors
from tasks.records import CleanArticle, Extracted, Quarantined, RawRecord, StageResult

log = logging.getLogger(__name__)

# Zone abbreviations US and European news prints. "EST", "CEST" … name a fixed offset; "ET", "PT" … name a region's
# time, whose offset depends on the date (EST in winter, EDT in summer), so they map to the zone itself.
_TZINFOS: dict[str, tzinfo] = {name: tzoffset(name, hours * 3600) for name, hours in
                               {"EDT": -4, "EST": -5, "CDT": -5, "CST": -6, "MDT": -6, "MST": -7, "PDT": -7, "PST": -8,
                                "BST": 1, "CET": 1, "CEST": 2, "GMT": 0, "UTC": 0}.items()}
_TZINFOS |= {name: ZoneInfo(zone) for name, zone in
             {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
              "PT": "America/Los_Angeles"}.items()}
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# py3langid's time grows with the text, and a few paragraphs settle its label: the opening is judged, not the whole
# (``bench.language_sample`` counts how often the opening's label is the longer text's; the README gives the figures)
LANGUAGE_SAMPLE_CHARS = 2000
MAX_BODY_CHARS = 300_000  # ~50,000 words: far beyond long-form journalism, well under spaCy's 1,000,000 limit


def clean_records(records: Iterable[RawRecord]) -> StageResult[CleanArticle]:
    """Clean a batch; records without a body (or with one too long to be an article) are quarantined, and so is a
    record the extractors fail on (``clean_error``, logged with its traceback), so one page never stops a run."""
    result: StageResult[CleanArticle] = StageResult()
    for record in records:
        try:
            article = clean_record(record)
        except Exception as exc:  # hostile HTML can break a third-party parser; the other records go on
            log.exception("cleaning %s failed", record.source_uri)
            article = Quarantined(source_uri=record.source_uri, reason="clean_error",
                                  detail=f"the extractor failed: {type(exc).__name__}: {exc}"[:500])
        if isinstance(article, Quarantined):
            log.warning("quarantined %s: %s", article.source_uri, article.detail)
            result.quarantined.append(article)
        else:
            result.records.append(article)
    return result


def clean_record(record: RawRecord) -> CleanArticle | Quarantined:
    extracted = extract(record)
    text = "\n\n".join(p.strip() for p in extracted.paragraphs if p.strip())
    if not text:
        what = {"txt": "text dump", "html": "HTML page", "json": "record", "warc": "archived page"}[
            record.source_format]
        return Quarantined(source_uri=record.source_uri, reason="no_body",
                           detail=f"no article body left after cleaning the {what}")
    if len(text) > MAX_BODY_CHARS:
        return Quarantined(source_uri=record.source_uri, reason="too_long",
                           detail=f"body of {len(text):,} characters after cleaning; an article has at most "
                                  f"{MAX_BODY_CHARS:,} (a book or a concatenated archive is not one article)")
    url = record.url or extracted.url
    published_at, published_from = published(record, extracted)
    return CleanArticle(
        article_id=ids.article_id(url, record.html or record.text or ""),
        text=text,
        content_hash=ids.content_hash(text),
        source_uri=record.source_uri,
        source_format=record.source_format,
        source_id=record.source_id,
        url=url,
        title=record.title or extracted.title,
        subtitle=extracted.subtitle,
        authors=clean_authors(record.authors or extracted.authors),
        published_at=published_at,
        published_from=published_from,
        language=detect_language(text),
        image_credits=tuple(extracted.image_credits),
        canonical_url=extracted.canonical_url,
        section=extracted.section,
        tags=tuple(extracted.tags),
        outlet_name=record.outlet_name or extracted.outlet_name,
        outlet_domain=ids.normalize_domain(record.outlet_domain or extracted.outlet_domain or url),
        source_fields=record.source_fields,
    )


def extract(record: RawRecord) -> Extracted:
    """Run the extractor that fits the record: HTML, text dump, or an already-extracted JSON body."""
    if record.html and record.html.strip():
        return htmlpage.extract(record.html, record.url)
    text = record.text or ""
    if record.source_format == "txt":
        return textdump.extract(text)
    blocks = _PARAGRAPH_BREAK.split(text) if _PARAGRAPH_BREAK.search(text) else text.splitlines()
    paragraphs, credits = htmlpage.filter_body_lines([" ".join(b.split()) for b in blocks])
    return Extracted(paragraphs=paragraphs, image_credits=credits)


def published(record: RawRecord, extracted: Extracted) -> tuple[datetime | None, str | None]:
    """The publication time and where it comes from: the input's own field ("source"), else the page ("page"),
    else, for a page a crawler fetched, the time it was fetched ("fetched"): the article existed then, so it is a
    latest date, the only one the archive gives."""
    for value, origin in ((record.published, "source"), (extracted.published, "page"), (record.fetched_at, "fetched")):
        if (parsed := parse_published(value)) is not None:
            return parsed, origin
    return None, None


def parse_published(value: str | None) -> datetime | None:
    """A date or datetime string → aware UTC datetime; None when missing, unparseable or implausible."""
    if not value or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = dateparser.parse(value, tzinfos=_TZINFOS)
        except (ValueError, OverflowError):
            return None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if not _EARLIEST <= parsed <= datetime.now(UTC) + timedelta(days=2):
        return None
    return parsed


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text (py3langid, a small offline classifier)."""
    lang, _score = py3langid.classify(text[:LANGUAGE_SAMPLE_CHARS])
    return str(lang) if lang else None


@task(name="clean", cache_policy=NONE)
def clean_task(records: list[RawRecord]) -> StageResult[CleanArticle]:
    return clean_records(records)
