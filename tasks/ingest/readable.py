"""What ingest reads: the file formats it knows by name, and the JSON keys it looks in for each field. Imports
nothing: the command line checks ``--field`` and its input paths against these before Prefect starts."""

from __future__ import annotations

from pathlib import Path

FORMATS = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".json": "json", ".jsonl": "json",
           ".ndjson": "json", ".warc": "warc"}

# Our field -> JSON keys tried in order. ``json_fields`` (ours -> theirs) overrides these.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "_id", "article_id", "uuid"),
    "url": ("url", "link", "canonical_url", "uri"),
    "title": ("title", "headline"),
    "text": ("text", "body", "content", "content_original", "articleBody", "article_body", "maintext"),
    "html": ("html", "raw_html", "page_html"),
    "authors": ("authors", "author", "byline", "creator"),
    "published": ("date_iso", "published", "published_at", "date", "datePublished", "date_publish", "pubdate"),
    "outlet_name": ("source", "outlet", "site_name", "publisher", "source_name"),
    "outlet_domain": ("source_url", "domain", "source_domain", "site"),
}


def input_format(path: Path) -> str | None:
    """The format of a file from its name ("txt", "html", "json"), looking through a ``.gz`` suffix."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return FORMATS.get(suffixes[-1]) if suffixes else None
