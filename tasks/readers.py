"""Streaming readers: an input file's bytes → text → JSON records or one page, holding a bounded part at a time.

A file is read a megabyte at a time, whatever its size: its text is decoded piece by piece, JSON lines are split as
they come, a top-level JSON array yields one item at a time, and a large HTML page loses its scripts, styles and
embedded images on the way in. What must be held whole (one record, one page) has a cap, and an input over it is
quarantined with a reason instead of being read into memory.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

READ_BYTES = 1 << 20  # read (and decompressed) at a time
SAMPLE_CHARS = 8192  # the opening an input is judged binary on
# One JSON record held whole: a line, an array item, or a file that is one object (a single article, or a wrapper
# {"articles": [...]} whose records are then all in memory at once). Arrays and JSON lines have no such limit.
MAX_RECORD_CHARS = 16 * 1024 * 1024
# What one page may hand to an extractor: a text dump's text, a JSON body, or an HTML page's markup once scripts,
# styles, SVG, comments and embedded data are gone. trafilatura needs ~2 s and ~25 MB per MB of markup; the largest
# page of the extraction corpora is 1.9 MB before that reduction.
MAX_PAGE_CHARS = 4 * 1024 * 1024
REDUCE_HTML_ABOVE = 2 * 1024 * 1024  # pages up to this size reach trafilatura as they are

_CP1252_FALLBACK = "newslake-cp1252"
# C0 controls other than \t \n \r \f are not text: NUL and most others go, vertical tab and the information
# separators (whitespace to Python's str.split) become a line break and spaces, so no words run together.
_CONTROLS = {c: None for c in range(32) if chr(c) not in "\t\n\r\f"} | {0x0B: "\n"} | {c: " " for c in range(28, 32)}
_WHITESPACE = re.compile(r"\s*")
_ANY_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


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


# --- JSON -----------------------------------------------------------------------------------------------------------

class RecordError:
    """A record of a multi-record file that is set aside (``reason``: invalid_json or too_large)."""

    __slots__ = ("detail", "reason")

    def __init__(self, reason: str, detail: str) -> None:
        self.reason, self.detail = reason, detail


_DECODER = json.JSONDecoder()
_STRUCTURE = re.compile(r'["\[\]{},]')
_STRING_BODY = re.compile(r'[^"\\]*(?:\\[\s\S][^"\\]*)*')  # up to the closing quote, or a trailing backslash


class _ValueEnd:
    """Finds where a JSON value ends in text given piece by piece, keeping none of it: the first comma or unmatched
    closing bracket outside strings and brackets (an array item's end), or with ``closed`` right after the bracket
    that closes the value (a top-level object). Exact for valid JSON; for broken JSON, a place to resume at."""

    def __init__(self, closed: bool = False) -> None:
        self.closed = closed
        self.depth = 0
        self.in_string = False
        self.escaped = False

    def feed(self, text: str, pos: int) -> int | None:
        """Where in ``text`` (scanned from ``pos``) the value ends; None when it goes on past the end."""
        end = len(text)
        while pos < end:
            if self.escaped:
                self.escaped, pos = False, pos + 1
                continue
            if self.in_string:
                pos = _STRING_BODY.match(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
                if pos == end:
                    return None
                if text[pos] == "\\":  # a backslash ending the piece escapes the next piece's first character
                    self.escaped, pos = True, pos + 1
                    continue
                self.in_string, pos = False, pos + 1
                continue
            found = _STRUCTURE.search(text, pos)
            if found is None:
                return None
            pos, char = found.end(), found.group()
            if char == '"':
                self.in_string = True
            elif char in "[{":
                self.depth += 1
            elif char in "]}":
                if self.depth == 0:
                    return pos - 1
                self.depth -= 1
                if self.closed and self.depth == 0:
                    return pos
            elif self.depth == 0:  # a comma between items
                return pos - 1
        return None


class _Buffer:
    """Text from a stream of pieces with a read position; what lies before ``start`` can be dropped."""

    def __init__(self, chunks: Iterator[str], text: str = "") -> None:
        self.chunks, self.text, self.pos, self.eof = chunks, text, 0, False

    def more(self, keep_from: int) -> bool:
        """Append the next piece, dropping the text before ``keep_from`` (positions shift by as much)."""
        piece = next(self.chunks, None)
        if piece is None:
            self.eof = True
            return False
        self.text = self.text[keep_from:] + piece
        self.pos -= keep_from
        return True

    def skip_whitespace(self, keep: bool = False) -> bool:
        """Move to the next character that is not whitespace, dropping the text before it unless ``keep``; False at
        the end of the stream."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.text):
                return True
            if not self.more(0 if keep else self.pos):
                return False


def json_records(chunks: Iterator[str], reopen: Callable[[], Iterator[str]],
                 unwrap: Callable[[Any], list[Any] | None],
                 max_record: int = MAX_RECORD_CHARS) -> Iterator[tuple[int, Any]]:
    """(N, value) for the N-th record of a JSON input, from 1: an array's items, the lines of JSON lines (N counts
    non-blank lines), or the records of a file that is one object (itself, or the list it wraps). A record that
    cannot be read is a ``RecordError`` value; ``BadInput`` is raised for a break that ends the file's records (the
    ones before it stay). ``reopen`` reads the input again from its start; ``unwrap`` gives the records a single
    object wraps, or None when it is one record itself."""
    buffer = _Buffer(chunks)
    if not buffer.skip_whitespace():
        return
    if buffer.text[buffer.pos] == "[":
        buffer.pos += 1
        yield from _array_items(buffer, max_record)
        return
    # One value (a single record or a wrapper, loaded whole) when nothing but whitespace follows it; else JSON lines.
    start, scanner = buffer.pos, _ValueEnd(closed=True)
    scanned = start
    while (end := scanner.feed(buffer.text, scanned)) is None:
        scanned = len(buffer.text)
        if len(buffer.text) - start > max_record:
            yield from _oversized_first_value(buffer, scanner, reopen, max_record)
            return
        if not buffer.more(0):
            break
    buffer.pos = end if end is not None else len(buffer.text)
    if not buffer.skip_whitespace(keep=True):  # the file is one value
        try:
            whole = json.loads(buffer.text)
        except (json.JSONDecodeError, RecursionError):
            yield from _json_lines(iter([buffer.text]), max_record)
            return
        yield from enumerate(unwrap(whole) or [whole], start=1)
        return
    yield from _json_lines(_replay(buffer), max_record)


def _oversized_first_value(buffer: _Buffer, scanner: _ValueEnd, reopen: Callable[[], Iterator[str]],
                           max_record: int) -> Iterator[tuple[int, Any]]:
    """A first value longer than ``max_record``: read on to its end without keeping it. The whole file is that one
    value (a huge record or wrapper, which cannot be held): ``too_large``; more follows it: JSON lines, read again."""
    buffer.text, buffer.pos = "", 0
    end = None
    while buffer.more(0) and (end := scanner.feed(buffer.text, 0)) is None:
        buffer.text = ""
    buffer.pos = end if end is not None else len(buffer.text)
    if buffer.skip_whitespace():
        yield from _json_lines(reopen(), max_record)
        return
    raise BadInput("too_large", f"one JSON value of more than {max_record:,} characters: a file that is one object "
                                f"(or one object wrapping its records) is read whole, up to that size; write it as "
                                f"JSON lines or an array, which are read a record at a time")


def _replay(buffer: _Buffer) -> Iterator[str]:
    text, buffer.text = buffer.text, ""
    yield text
    del text
    yield from buffer.chunks


def _array_items(buffer: _Buffer, max_record: int) -> Iterator[tuple[int, Any]]:
    """The items of a top-level array whose "[" is behind ``buffer``'s position, one at a time."""
    number = 0
    while True:
        if not buffer.skip_whitespace():
            raise BadInput("invalid_json", f"the JSON array ends without its closing ] after record {number}; "
                                           f"the records before are kept")
        text, pos = buffer.text, buffer.pos
        if text[pos] == "]":
            buffer.pos += 1
            if buffer.skip_whitespace():
                raise BadInput("invalid_json", f"text after the JSON array's closing ] (after record {number})")
            return
        if number and text[pos] == ",":
            buffer.pos += 1
            if not buffer.skip_whitespace():
                continue
            text, pos = buffer.text, buffer.pos
        elif number:
            raise BadInput("invalid_json", f"expected , or ] after record {number} of the JSON array, found "
                                           f"{text[pos : pos + 20]!r}; the records before are kept")
        number += 1
        try:
            value, end = _DECODER.raw_decode(text, pos)
            if end < len(text) or buffer.eof:
                buffer.pos = end
                yield number, value
                continue
        except (json.JSONDecodeError, RecursionError):
            pass  # broken, or cut off at the end of the text read so far: find where the item ends
        yield number, _array_item(buffer, max_record)


def _array_item(buffer: _Buffer, max_record: int) -> Any:
    """The array item at ``buffer``'s position, read to its end (further pieces as needed, up to ``max_record``),
    parsed; a ``RecordError`` for one that does not parse or is too large."""
    scanner = _ValueEnd()
    scanned = buffer.pos
    while (end := scanner.feed(buffer.text, scanned)) is None:
        if len(buffer.text) - buffer.pos > max_record:  # read on to its end without keeping it
            buffer.text, buffer.pos = "", 0
            while buffer.more(0) and (end := scanner.feed(buffer.text, 0)) is None:
                buffer.text = ""
            buffer.pos = end if end is not None else 0
            return RecordError("too_large", f"a JSON record of more than {max_record:,} characters")
        scanned = len(buffer.text) - buffer.pos
        if not buffer.more(buffer.pos):
            raise BadInput("invalid_json", "the JSON array is cut off inside a record; the records before are kept")
        scanned += buffer.pos
    item, buffer.pos = buffer.text[buffer.pos : end], end
    try:
        return json.loads(item)
    except (json.JSONDecodeError, RecursionError) as exc:
        return RecordError("invalid_json", f"array item does not parse: {exc!r}")


def _json_lines(chunks: Iterator[str], max_record: int) -> Iterator[tuple[int, Any]]:
    """(N, value) for each non-blank line: \\n, \\r\\n and \\r end a line (a JSON string may hold a raw U+2028)."""
    number = 0
    for line in lines(chunks, max_record):
        if line is None:
            number += 1
            yield number, RecordError("too_large", f"a JSON line of more than {max_record:,} characters")
        elif line.strip():
            number += 1
            try:
                yield number, json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield number, RecordError("invalid_json", f"line does not parse: {exc!r}")


def lines(chunks: Iterator[str], max_line: int) -> Iterator[str | None]:
    """The lines of a text given in pieces, without their line ends; None for a line longer than ``max_line``,
    which is skipped without being kept."""
    partial: list[str] = []
    size = 0
    oversized = False
    carry_cr = False
    for piece in chunks:
        if carry_cr:
            piece = "\r" + piece
        carry_cr = piece.endswith("\r")
        if carry_cr:
            piece = piece[:-1]  # its \n may open the next piece
        if "\r" in piece:
            piece = piece.replace("\r\n", "\n").replace("\r", "\n")
        parts = piece.split("\n")
        del piece
        for part in parts[:-1]:
            if oversized or size + len(part) > max_line:
                yield None
            else:
                yield "".join(partial) + part if partial else part
            partial, size, oversized = [], 0, False
        last = parts[-1]
        if not oversized:
            size += len(last)
            if size > max_line:
                partial, oversized = [], True
            elif last:
                partial.append(last)
    if oversized:
        yield None
    elif partial:
        yield "".join(partial)


# --- HTML -----------------------------------------------------------------------------------------------------------

_DROPPED_OPEN = re.compile(r"<(script|style|svg|noscript|template)\b|<!--", re.IGNORECASE)
_DROPPED_CLOSE = {tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE)
                  for tag in ("script", "style", "svg", "noscript", "template")} | {"--": re.compile("-->")}
_DATA_URI = re.compile(r"""\bdata:[^,"'\s>]{0,256},[^"'\s>]*""", re.IGNORECASE)
_KEPT_SCRIPT = re.compile(r"""type\s*=\s*["']?application/ld\+json""", re.IGNORECASE)  # metadata: dates, authors


def reduced_markup(chunks: Iterator[str], limit: int = MAX_PAGE_CHARS) -> str:
    """An HTML page without what no extractor reads (scripts other than JSON-LD metadata, styles, SVG, templates,
    noscript fallbacks, comments, the payload of data: URIs), read piece by piece; ``too_long`` when more than
    ``limit`` characters are left."""
    kept: list[str] = []
    size = 0
    inside: str | None = None  # the dropped element (or "--": a comment) the previous piece ended in
    keep_inside = False
    carry = ""
    for piece in chunks:
        text, pos = carry + piece if carry else piece, 0
        del piece
        out: list[str] = []
        while pos < len(text):
            if inside is not None:
                closing = _DROPPED_CLOSE[inside].search(text, pos)
                if closing is None:  # keep a possible cut-off closing tag for the next piece
                    cut = max(pos, len(text) - 64)
                    if keep_inside:
                        out.append(text[pos:cut])
                    pos = cut
                    break
                if keep_inside:
                    out.append(text[pos : closing.end()])
                inside, pos = None, closing.end()
                continue
            opening = _DROPPED_OPEN.search(text, pos)
            if opening is None:
                last = text.rfind("<", pos)  # a tag (or an opening "<!-") cut off at the end of the piece waits
                cut = last if last >= 0 and text.find(">", last) < 0 else len(text)
                out.append(text[pos:cut])
                pos = cut
                break
            out.append(text[pos : opening.start()])
            pos, tag_end = opening.start(), opening.end()
            if opening.group(1):
                tag_end = text.find(">", tag_end) + 1
                if tag_end == 0:  # the opening tag goes on in the next piece (and with no ">" in this one, so
                    break  # does every later "<script": looking for each one's end would cost quadratic time)
            inside = (opening.group(1) or "--").lower()
            keep_inside = inside == "script" and bool(_KEPT_SCRIPT.search(text, opening.end(), tag_end))
            if keep_inside:
                out.append(text[pos:tag_end])
            pos = tag_end
        carry = text[pos:]
        if inside is None:  # a tag cut off at the end of the piece: its data: payload need not wait for its end
            carry = _DATA_URI.sub("data:,", carry)
        reduced = _DATA_URI.sub("data:,", "".join(out))
        size += len(reduced)
        if size + len(carry) > limit:
            raise BadInput("too_long", f"an HTML page with more than {limit:,} characters of markup once scripts, "
                                       f"styles and embedded data are removed: too long to be one article")
        kept.append(reduced)
    if inside is None or keep_inside:
        kept.append(_DATA_URI.sub("data:,", carry))
    return "".join(kept)


def read_pieces(text: str, size: int = READ_BYTES) -> Iterator[str]:
    """A string already in memory as pieces, for the readers above."""
    for start in range(0, len(text), size):
        yield text[start : start + size]
