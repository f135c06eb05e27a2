"""Web archive records as a crawler writes them: what gather fetched is kept as WARC (``tasks.ingest.warc`` reads
it back), each record its own gzip member, so an archive cut off mid-write loses only the record being written."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

from fastwarc.warc import WarcRecord, WarcRecordType

RESPONSE = {"Content-Type": "application/http; msgtype=response"}


def write_archive(path: Path, records: list[tuple[str, dict[str, str], bytes]], gzipped: bool = True) -> None:
    """A WARC file of ``records`` (WARC-Type, headers, content block), each record its own gzip member when
    ``gzipped``: what a crawler writes, for tests and benchmarks to read back."""
    with path.open("ab") as out:
        for kind, headers, block in records:
            out.write(archive_record(kind, headers, block, gzipped))


def archive_record(kind: str, headers: dict[str, str], block: bytes, gzipped: bool = True) -> bytes:
    """One WARC record's bytes (a gzip member when ``gzipped``)."""
    record = WarcRecord()
    record.init_headers(getattr(WarcRecordType, kind))
    for name, value in headers.items():
        record.headers[name] = value
    record.set_bytes_content(block)
    buffer = io.BytesIO()
    record.write(buffer)
    data = buffer.getvalue()
    return gzip.compress(data, compresslevel=1) if gzipped else data


def response_block(status: int, reason: str, headers: dict[str, str], body: bytes) -> bytes:
    """An HTTP response as a WARC response record holds it: status line, headers, body. The body is stored as it was
    delivered, decompressed, so the Content-Encoding and Transfer-Encoding that described the wire form are left out
    and Content-Length is the body's."""
    kept = {k: v for k, v in headers.items() if k.lower() not in ("content-encoding", "transfer-encoding",
                                                                    "content-length")}
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in kept.items()), f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
