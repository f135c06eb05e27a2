"""Ingest: input paths → raw records (text dumps, HTML pages, JSON/JSONL records, web archives; each optionally
gzipped).

Bad input never raises: it becomes a ``Quarantined`` record with a reason. Bugs still raise. Files are read as
streams (``decode``, ``jsonstream``, ``markup``), and records leave in chunks of a bounded size, so what ingest holds
does not grow with a file's size or its number of records.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from tasks.ingest import decode, extras, jsonstream, markup, warc
from tasks.ingest.decode import BadInput
from tasks.ingest.discover import Discovered, discover_inputs
from tasks.ingest.jsonstream import RecordError
from tasks.ingest.readable import FIELD_ALIASES, FORMATS, input_format
from tasks.records import Quarantined, RawRecord, Skipped, StageResult

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # per input after decompression; per page of a web archive
# What one chunk of ingest's output holds: characters of text and markup, plus a weight per record for what each
# record costs as objects whatever its size, so that a chunk of tiny records is bounded too.
CHUNK_CHARS = 8 * 1024 * 1024
RECORD_WEIGHT = 512


def decode_text(data: bytes) -> str:
    """Bytes already in memory → text, decoded as ``tasks.ingest.decode.text_chunks`` decodes a file."""
    return "".join(decode.text_chunks(io.BytesIO(data)))


def records_from_file(path: Path, *, json_fields: Mapping[str, str] | None = None,
                      max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawRecord | Quarantined | Skipped]:
    """Every raw record in one input file, read as a stream; a bad file or a bad record yields a ``Quarantined``,
    a record that is no article (a web archive's redirects and images) a ``Skipped``. A break in a JSON file keeps
    the records before it and quarantines the file with the reason; a web archive goes on after a corrupt record.
    ``max_bytes`` limits a whole input, or each page of a web archive (an archive of 1 GB is the norm)."""
    uri = str(path)
    fmt = input_format(path)
    if fmt is None:
        yield Quarantined(source_uri=uri, reason="unsupported_format",
                          detail=f"unknown file type {''.join(path.suffixes) or '(none)'}; "
                                 f"expected one of {sorted(FORMATS)} (optionally .gz)")
        return
    try:
        if fmt == "warc":
            yield from _archived_records(path, max_bytes)
            return
        size = decode.checked_size(path, max_bytes)  # a gzip file is inflated once here, without being kept
        with decode.open_bytes(path) as stream:
            chunks = decode.text_chunks(stream)
            if fmt == "txt":
                text = decode.whole_text(chunks, markup.MAX_PAGE_CHARS, "a text dump")
                yield RawRecord(source_uri=uri, source_format="txt", text=text)
            elif fmt == "html":
                yield RawRecord(source_uri=uri, source_format="html", html=_page_markup(chunks, size))
            else:
                items = jsonstream.json_records(chunks, lambda: _reread(path), wrapped_records)
                yield from _json_records(items, uri, json_fields or {})
    except BadInput as exc:
        yield Quarantined(source_uri=uri, reason=exc.reason, detail=exc.detail)
    except OSError as exc:
        yield Quarantined(source_uri=uri, reason="read_error", detail=str(exc))


def _archived_records(path: Path, max_bytes: int) -> Iterator[RawRecord | Quarantined | Skipped]:
    """The pages of a web archive as raw HTML records, with the URL and the time the crawler fetched them."""
    for item in warc.archived_pages(path, max_bytes):
        if not isinstance(item, warc.ArchivedPage):
            yield item
            continue
        uri = f"{path}#{item.offset}"
        try:
            html = _page_markup(_page_text(item.body, item.charset), len(item.body))
        except BadInput as exc:
            yield Quarantined(source_uri=uri, reason=exc.reason, detail=exc.detail)
            continue
        yield RawRecord(source_uri=uri, source_format="warc", html=html, url=item.url, fetched_at=item.fetched_at)


def _page_text(body: bytes, charset: str | None) -> Iterator[str]:
    """A fetched page's text: UTF-8 when it is valid UTF-8 (servers often declare Latin-1 for UTF-8 pages, never
    the reverse), else the charset the server declared, else as a file is read (UTF-8 with cp1252 for what it
    rejects)."""
    for encoding in ("utf-8-sig", charset):
        try:
            text = body.decode(encoding) if encoding else None
        except (UnicodeDecodeError, LookupError):
            continue
        if text is not None:
            return decode.read_pieces(decode.without_controls(text) if decode.has_control_bytes(body) else text)
    return decode.text_chunks(io.BytesIO(body))


def _page_markup(chunks: Iterator[str], size: int) -> str:
    """An HTML page's markup as trafilatura gets it: a page of ordinary size as it is, a larger one reduced to
    what an extractor reads (``tasks.ingest.markup.reduced_markup``) as it streams in."""
    if size <= markup.REDUCE_HTML_ABOVE:
        return decode.whole_text(chunks, markup.REDUCE_HTML_ABOVE, "an HTML page")
    return markup.reduced_markup(chunks)


def _reread(path: Path) -> Iterator[str]:
    with decode.open_bytes(path) as stream:
        yield from decode.text_chunks(stream)


def _json_records(items: Iterator[tuple[int, Any]], uri: str,
                  json_fields: Mapping[str, str]) -> Iterator[RawRecord | Quarantined | Skipped]:
    known = {key for keys in FIELD_ALIASES.values() for key in keys} | set(json_fields.values())
    for n, item in items:
        record_uri = f"{uri}#{n}"
        if isinstance(item, RecordError):
            yield Quarantined(source_uri=record_uri, reason=item.reason, detail=item.detail)
            continue
        try:
            record = record_from_json(item, record_uri, json_fields)
        except BadInput as exc:
            yield Quarantined(source_uri=record_uri, reason=exc.reason, detail=exc.detail)
            continue
        kept, left_out = extras.source_fields(item, known)
        yield from map(Skipped, left_out)  # a value too large to keep: counted, the record goes on
        yield replace(record, source_fields=kept) if kept else record


def record_from_json(obj: Any, uri: str, json_fields: Mapping[str, str]) -> RawRecord:
    """One JSON object → ``RawRecord``, finding fields by their common spellings (or as named)."""
    if not isinstance(obj, dict):
        raise BadInput("not_an_object", f"expected a JSON object, got {type(obj).__name__}")

    def pick(ours: str) -> Any:
        keys = (json_fields[ours],) if ours in json_fields else FIELD_ALIASES[ours]
        for key in keys:
            value = obj.get(key)
            if value not in (None, "", [], {}):
                return value
        return None

    body, html = _as_text(pick("text"), "text"), _as_text(pick("html"), "html")
    if not (body and body.strip()) and not (html and html.strip()):
        names = "/".join(FIELD_ALIASES["text"] + FIELD_ALIASES["html"])
        raise BadInput("no_text", f"no article text in any of the fields {names}")
    outlet = pick("outlet_name")
    outlet_name = _as_scalar(outlet.get("name") if isinstance(outlet, dict) else outlet)
    return RawRecord(
        source_uri=uri,
        source_format="json",
        text=body,
        html=html,
        source_id=_as_scalar(pick("id")),
        url=_as_scalar(pick("url")),
        title=_as_scalar(pick("title")),
        authors=_as_authors(pick("authors")),
        published=_as_scalar(pick("published")),
        outlet_name=outlet_name,
        outlet_domain=_as_scalar(pick("outlet_domain")),
    )


def _as_text(value: Any, name: str) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "\n\n".join(value)  # a list of paragraphs
    elif value is not None and not isinstance(value, str):
        raise BadInput("bad_field_type", f"field {name!r} should be text, got {type(value).__name__}")
    if value is None:
        return None
    if name == "html" and len(value) > markup.REDUCE_HTML_ABOVE:
        value = markup.reduced_markup(decode.read_pieces(value))
    elif len(value) > markup.MAX_PAGE_CHARS:
        raise BadInput("too_long", f"field {name!r} holds {len(value):,} characters: too long to be one article "
                                   f"(at most {markup.MAX_PAGE_CHARS:,} reach the cleaner)")
    return _valid_unicode(value)


def _as_scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return _valid_unicode(str(value).strip()) or None


def _valid_unicode(text: str | None) -> str | None:
    """JSON may escape lone surrogates ("\\ud800"), which no UTF-8 writer accepts: they become "?"; and control
    characters ("\\u0000"), which are not text: they go (``tasks.ingest.decode.without_controls``)."""
    if text is None:
        return None
    return decode.without_controls(text.encode("utf-8", "replace").decode("utf-8"))


def _as_authors(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts = value.replace(" and ", ",").split(",")
    elif isinstance(value, list):
        parts = [v.get("name", "") if isinstance(v, dict) else str(v) for v in value]
    elif isinstance(value, dict):
        parts = [str(value.get("name", ""))]
    else:
        parts = []
    return tuple(str(_valid_unicode(p.strip())) for p in parts if p and p.strip())


def wrapped_records(obj: Any) -> list[Any] | None:
    """The records of an export that wraps them in one object ({"articles": [...]}, {"data": [...]}): the one list
    of objects it holds, when it has no article text of its own."""
    if not isinstance(obj, dict) or any(key in obj for key in FIELD_ALIASES["text"] + FIELD_ALIASES["html"]):
        return None
    lists = [v for v in obj.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    return lists[0] if len(lists) == 1 else None


def ingest_chunks(paths: Sequence[Path], *, json_fields: Mapping[str, str] | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES,
                  chunk_chars: int = CHUNK_CHARS) -> Iterator[StageResult[RawRecord]]:
    """The raw records and quarantined inputs of a batch of files, in order, in chunks of about ``chunk_chars``
    (text and markup, and ``RECORD_WEIGHT`` per record): a chunk is handed on before the next one is read."""
    chunk: StageResult[RawRecord] = StageResult()
    size = 0
    for path in paths:
        for item in records_from_file(path, json_fields=json_fields, max_bytes=max_bytes):
            if isinstance(item, Skipped):
                chunk.skipped[item.reason] += 1
                continue
            if isinstance(item, Quarantined):
                log.warning("quarantined %s: %s (%s)", item.source_uri, item.reason, item.detail)
                chunk.quarantined.append(item)
            else:
                chunk.records.append(item)
                size += len(item.text or "") + len(item.html or "")
            size += RECORD_WEIGHT
            if size >= chunk_chars:
                yield chunk
                chunk, size = StageResult(), 0
    if chunk.records or chunk.quarantined or chunk.skipped:
        yield chunk


def ingest_files(paths: Sequence[Path], *, json_fields: Mapping[str, str] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> StageResult[RawRecord]:
    """All the raw records and quarantined inputs of a batch of files at once (for inputs known to be small)."""
    result: StageResult[RawRecord] = StageResult()
    for chunk in ingest_chunks(paths, json_fields=json_fields, max_bytes=max_bytes):
        result.records += chunk.records
        result.quarantined += chunk.quarantined
        result.skipped.update(chunk.skipped)
    return result


@task(name="ingest", cache_policy=NONE)  # read errors are quarantined, not retried
def ingest_task(paths: list[Path], json_fields: dict[str, str] | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[StageResult[RawRecord]]:
    """One task run per batch of files, handing on its records a chunk at a time as it reads them (a generator
    task: it runs in the thread that iterates it, see ``flows.scheduling.in_own_thread``)."""
    yield from ingest_chunks(paths, json_fields=json_fields, max_bytes=max_bytes)


@task(name="discover", cache_policy=NONE)
def discover_task(paths: list[str]) -> Discovered:
    """``discover.discover_inputs`` as a task (defined here, so that discover imports no Prefect)."""
    return discover_inputs(paths)
