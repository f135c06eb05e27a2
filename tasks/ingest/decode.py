"""Bytes → text, read as a stream: an input file (optionally gzipped) is read a megabyte at a time, whatever its
size, and decoded piece by piece: UTF-8 (or UTF-16 with a byte-order mark), any sequence UTF-8 rejects as cp1252,
control characters dropped. Empty and binary inputs are refused with a reason (``BadInput``) before any text is
handed on. ``tasks.ingest.jsonstream`` and ``tasks.ingest.markup`` read the pieces this module yields.
"""

from __future__ import annotations

import codecs
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

READ_BYTES = 1 << 20  # read (and decompressed) at a time
SAMPLE_CHARS = 8192  # the opening an input is judged binary on

_CP1252_FALLBACK = "newslake-cp1252"
# C0 controls other than \t \n \r \f are not text: NUL and most others go, vertical tab and the information
# separators (whitespace to Python's str.split) become a line break and spaces, so no words run together.
_CONTROLS = {c: None for c in range(32) if chr(c) not in "\t\n\r\f"} | {0x0B: "\n"} | {c: " " for c in range(28, 32)}
_ANY_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")
_CONTROL_BYTES = bytes(c for c in range(32) if chr(c) not in "\t\n\r\f")


class Readable(Protocol):
    """What the readers read from: a file, a gzip stream, or bytes already in memory (``io.BytesIO``)."""

    def read(self, size: int, /) -> bytes: ...


class BadInput(Exception):
    """An input that cannot become an article; ``reason`` is the quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode just the bytes UTF-8 rejects as cp1252: one stray "é" in cp1252 leaves the UTF-8 around it intact."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def without_controls(text: str) -> str:
    """``text`` without the C0 control characters that are not layout (NUL, escape, backspace ...)."""
    return text.translate(_CONTROLS) if _ANY_CONTROL.search(text) else text


def has_control_bytes(data: bytes) -> bool:
    """Whether text decoded from ``data`` may hold control characters: in every encoding that keeps ASCII as it is
    (UTF-8, the single-byte ones, Shift_JIS, GBK …) a control character is its own byte, and UTF-16 holds zero
    bytes. Deleting bytes is several times faster than searching the decoded text."""
    return len(data.translate(None, _CONTROL_BYTES)) != len(data)


def checked_size(path: Path, max_bytes: int) -> int:
    """The input's size after decompression, refusing one over ``max_bytes`` (a gzip bomb is read only up to the
    limit, never held) and a gzip file that is cut off or corrupt."""
    if not is_gzip(path):
        size = path.stat().st_size
        if size > max_bytes:
            raise BadInput("too_large", f"{size} bytes exceeds the limit of {max_bytes}")
        return size
    size = 0
    with open_bytes(path) as stream:
        while chunk := _read(stream, READ_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise BadInput("too_large", f"decompresses to more than the limit of {max_bytes} bytes")
    return size


def is_gzip(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def open_bytes(path: Path) -> io.BufferedIOBase:
    """The file's bytes as a stream, gunzipped when it ends in .gz."""
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


def _read(stream: Readable, size: int) -> bytes:
    try:
        return stream.read(size)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BadInput("gzip_error", f"cannot decompress: {exc}") from exc


def text_chunks(stream: Readable, read_bytes: int = READ_BYTES) -> Iterator[str]:
    """The stream's text, a piece at a time: UTF-16 (with a BOM, or recognised by its zero bytes), else UTF-8 with
    each invalid sequence read as cp1252 (files mixing the two, or all cp1252 or latin-1), control characters
    removed. Raises ``BadInput`` before the first piece for an empty or binary input."""
    head = _read(stream, read_bytes)
    while head and not head.strip() and (more := _read(stream, read_bytes)):
        head += more  # only whitespace so far: empty unless something follows
    if not head.strip():
        raise BadInput("empty", "the input is empty or only whitespace")
    encoding = _utf16(head)
    if encoding is None and b"\x00" in head[:SAMPLE_CHARS]:
        raise BadInput("binary", "contains NUL bytes: not a text file")
    decoder = codecs.getincrementaldecoder(encoding or "utf-8-sig")(
        errors="replace" if encoding else _CP1252_FALLBACK)
    text = decoder.decode(head).removeprefix("\ufeff")
    while not text.strip() and (raw := _read(stream, read_bytes)):
        text += decoder.decode(raw)
    if not text.strip():
        text += decoder.decode(b"", final=True)
        if not text.strip():
            raise BadInput("empty", "the input is only whitespace")
    sample = text[:SAMPLE_CHARS]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.02 * len(sample):
        raise BadInput("binary", f"{controls} control characters in the first 8 KiB: not a text file")
    del head, sample
    yield without_controls(text)
    del text  # the reader has it now: this frame holds no piece of the text while the next is read
    while raw := _read(stream, read_bytes):
        piece = decoder.decode(raw)
        del raw
        yield without_controls(piece)
        del piece
    yield without_controls(decoder.decode(b"", final=True))


def _utf16(data: bytes) -> str | None:
    """"utf-16" for a BOM-marked file, "utf-16-le"/"-be" for one whose odd (even) bytes are mostly zero and even
    (odd) bytes are not (Latin-script text without a BOM), else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 8:
        odd, even = head[1::2], head[0::2]
        if odd.count(0) > 0.7 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.7 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return None


def whole_text(chunks: Iterator[str], limit: int, what: str) -> str:
    """All of the text, refusing (``too_long``) as soon as it passes ``limit`` characters."""
    pieces, size = [], 0
    for piece in chunks:
        size += len(piece)
        if size > limit:
            raise BadInput("too_long", f"{what} of more than {limit:,} characters: too long to be one article "
                                       f"(a book or a concatenated archive)")
        pieces.append(piece)
    return "".join(pieces)


def read_pieces(text: str, size: int = READ_BYTES) -> Iterator[str]:
    """A string already in memory as pieces, for the readers above."""
    for start in range(0, len(text), size):
        yield text[start : start + size]
