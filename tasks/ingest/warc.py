"""Web archives: a WARC file (``.warc``, or ``.warc.gz`` with one gzip member per record, as Common Crawl's CC-NEWS
and every crawler write them) → the HTML pages it holds, read as a stream with fastwarc, one record in memory at a
time whatever the archive's size.

A page is an HTTP 200 response whose body is HTML. Every other record is counted, by reason, never kept:

- ``not_response``: a crawl's bookkeeping (warcinfo, request, metadata, resource, conversion records);
- ``revisit``: a fetch that found the page unchanged and stores no body;
- ``http_status``: a response other than 200 (redirects, errors);
- ``not_html``: a 200 response of another type (PDF, image, feed, JSON);
- ``truncated``: the crawler cut the body off (``WARC-Truncated``), so the page is not whole.

A body over the size limit is quarantined as ``too_large``; a record that cannot be read (a corrupt gzip member, a
broken header) is quarantined as ``corrupt_record`` with its byte offset, and reading goes on at the next record
the file holds: one bad record costs that record, not the archive. A plain archive has no checksums: fastwarc reads
past a damaged header to the next record it can parse, so there a damaged record may only be missing, or counted
as a record of another kind.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from tasks.records import Quarantined, Skipped

SEARCH_BYTES = 1 << 20  # read at a time while looking for the next record after a corrupt one
_GZIP_MEMBER = b"\x1f\x8b\x08"
_WARC_LINE = b"\nWARC/1."


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """An HTML page as a crawler fetched it."""

    offset: int  # byte offset of its record in the archive file
    url: str | None  # WARC-Target-URI
    fetched_at: str | None  # WARC-Date: when the crawler fetched it (ISO 8601)
    charset: str | None  # as the HTTP Content-Type declares it
    body: bytes  # the HTTP body, de-chunked and decompressed


def archived_pages(path: Path, max_bytes: int) -> Iterator[ArchivedPage | Skipped | Quarantined]:
    """Every record of the archive at ``path``: a page, a count of what it is not, or a quarantined record."""
    with path.open("rb") as fh:
        gzipped = fh.read(2) == _GZIP_MEMBER[:2]
        start: int | None = 0
        while start is not None:
            fh.seek(start)
            last = -1  # offset of the last record read whole in this pass
            try:
                for record in ArchiveIterator(fh, auto_decode="all"):
                    last = record.stream_pos
                    yield _page_or_reason(path, record, max_bytes)
                return
            except OSError as error:  # fastwarc's word for a corrupt gzip member or an invalid WARC header
                if last >= 0:  # records were read: go on after the last one, unless what follows it is lost
                    lost = _next_record(fh, last + 1, gzipped, whole=False) or last + 1
                    start = _next_record(fh, last + 1, gzipped)
                    if start == lost:
                        continue  # it looks whole: try it
                else:  # the record this pass started at cannot be read
                    lost, start = start, _next_record(fh, start + 1, gzipped)
                yield Quarantined(source_uri=f"{path}#{lost}", reason="corrupt_record",
                                  detail=f"cannot read the record at byte {lost}: {error}; "
                                         + (f"reading goes on at byte {start}" if start is not None
                                            else "no record follows"))


def _page_or_reason(path: Path, record: WarcRecord, max_bytes: int) -> ArchivedPage | Skipped | Quarantined:
    kind = record.record_type
    if kind == WarcRecordType.revisit:
        return Skipped("revisit")
    if kind != WarcRecordType.response or not record.is_http:
        return Skipped("not_response")
    headers = record.headers
    if headers.get("WARC-Truncated"):
        return Skipped("truncated")
    if record.http_headers.status_code != 200:
        return Skipped("http_status")
    content_type = (record.http_content_type or "").lower()
    if content_type not in ("text/html", "application/xhtml+xml"):
        return Skipped("not_html")
    body = record.reader.read(max_bytes + 1)
    if len(body) > max_bytes:
        return Quarantined(source_uri=f"{path}#{record.stream_pos}", reason="too_large",
                           detail=f"an archived page of more than {max_bytes:,} bytes")
    return ArchivedPage(offset=record.stream_pos, url=headers.get("WARC-Target-URI"),
                        fetched_at=headers.get("WARC-Date"), charset=record.http_charset, body=body)


def _next_record(fh: BinaryIO, start: int, gzipped: bool, whole: bool = True) -> int | None:
    """The offset of the first record at or after ``start``: a gzip member (``whole``: one that inflates to a WARC
    header), or in a plain archive a line opening one; None when the file holds no more."""
    mark = _GZIP_MEMBER if gzipped else _WARC_LINE
    at = start
    while True:
        fh.seek(at)
        block = fh.read(SEARCH_BYTES)
        if len(block) < len(mark):
            return None
        found = block.find(mark)
        while found >= 0:
            if not gzipped:
                return at + found + 1
            if not whole or _opens_record(fh, at + found):
                return at + found
            found = block.find(mark, found + 1)
        at += len(block) - len(mark) + 1  # a mark cut by the block's end is found in the next


def _opens_record(fh: BinaryIO, offset: int) -> bool:
    fh.seek(offset)
    try:
        return zlib.decompressobj(31).decompress(fh.read(4096), 16).startswith(b"WARC/")
    except zlib.error:
        return False
