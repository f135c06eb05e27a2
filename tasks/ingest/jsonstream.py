"""JSON read as a stream: a top-level array yields one item at a time, JSON lines are split as they come, and a
file that is one object (an article, or a wrapper such as {"articles": [...]}) is the one value held whole, up to
``MAX_RECORD_CHARS``. A record that cannot be read is a ``RecordError`` value and the records around it are kept;
a break that ends a file's records raises ``BadInput``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from tasks.ingest.decode import BadInput

# One JSON record held whole: a line, an array item, or a file that is one object (a single article, or a wrapper
# {"articles": [...]} whose records are then all in memory at once). Arrays and JSON lines have no such limit.
MAX_RECORD_CHARS = 16 * 1024 * 1024
_WHITESPACE = re.compile(r"\s*")

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
