"""Small records passed between stages (never spaCy Docs or shared DataFrames)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

import pyarrow as pa

from tasks import scripts

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True, slots=True)
class RawRecord:
    """One article as read from an input, before cleaning."""

    source_uri: str  # input path; "path#N" for the N-th record (from 1) of a multi-record file, or for the
    # record at byte offset N of a web archive
    source_format: str  # "txt", "html", "json" or "warc"
    text: str | None = None  # plain text body or a visible-text dump
    html: str | None = None  # raw HTML page (cleaned by the HTML path)
    source_id: str | None = None  # the record's own id, when it has one
    url: str | None = None
    title: str | None = None
    authors: tuple[str, ...] = ()
    published: str | None = None  # as given by the source; parsed by the clean stage
    fetched_at: str | None = None  # when a crawler fetched the page (a web archive's WARC-Date)
    outlet_name: str | None = None
    outlet_domain: str | None = None
    source_fields: str | None = None  # a JSON record's other fields, a JSON object (``tasks.ingest.extras``)


@dataclass(frozen=True, kw_only=True, slots=True)
class Quarantined:
    """An input (or one record of it) that could not become an article."""

    source_uri: str
    reason: str  # short machine-readable reason, e.g. "empty", "binary", "invalid_json"
    detail: str  # what a person needs to find and fix it
    article_id: str | None = None  # a "duplicate": the article it repeats, which this record can provide again


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record an input holds that is no article, on purpose (a web archive's requests, redirects, images), or a
    value of a record's ``source_fields`` too large to keep: counted by reason, not kept."""

    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CleanArticle:
    """A cleaned article body with its metadata, ready for NLP."""

    article_id: str
    text: str  # clean body, paragraphs separated by "\n\n"
    content_hash: str
    source_uri: str
    source_format: str
    source_id: str | None = None
    url: str | None = None
    title: str | None = None
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    published_at: datetime | None = None  # timezone-aware, UTC
    published_from: str | None = None  # where published_at comes from: "source", "page" or "fetched"
    language: str | None = None
    image_credits: tuple[str, ...] = ()
    outlet_name: str | None = None
    outlet_domain: str | None = None
    canonical_url: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    source_fields: str | None = None  # what the source said beyond the mapped fields, a JSON object

    @property
    def word_count(self) -> int:
        """Words of ``text``, in every script (``tasks.scripts.word_count``)."""
        return scripts.word_count(self.text)


@dataclass(kw_only=True, slots=True)
class StageResult(Generic[T]):
    """What a batch stage hands on: its good records and the inputs it set aside."""

    records: list[T] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # records that are no article, by reason


@dataclass(kw_only=True, slots=True)
class Extracted:
    """What an extractor (text dump or HTML) found in one page."""

    paragraphs: list[str] = field(default_factory=list)  # the article body, one entry per paragraph
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None  # date or datetime text, parsed by the clean stage
    url: str | None = None
    outlet_name: str | None = None
    outlet_domain: str | None = None
    image_credits: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NlpRows:
    """What the NLP stage makes of a batch of articles: rows of the sentences, entities and quotes tables."""

    sentences: pa.Table
    entities: pa.Table
    quotes: pa.Table
    sentence_counts: dict[str, int]  # article_id -> sentences
    tones: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)  # -> (mean compound, GDELT)
