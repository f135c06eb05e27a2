"""Records of a large JSON file decoded one at a time: the packaged gazetteer files (tens of MB of text, hundreds of
MB as Python objects) are read a chunk at a time, so only a chunk and the current record are held."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import IO, Any

# what comes before a record: in an object of records ({"id": {...}, ...}) its key, in an array only a comma
OBJECT_KEY = re.compile(r'\s*,?\s*"[^"]*"\s*:\s*')
ARRAY_ITEM = re.compile(r"\s*,?\s*(?=\{)")


def json_records(file: IO[str], before: re.Pattern[str], chunk: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """The records of the object or array ``file`` holds, each found after ``before`` (``OBJECT_KEY`` or
    ``ARRAY_ITEM``), read ``chunk`` characters at a time."""
    decoder = json.JSONDecoder()
    text = file.read(chunk)
    pos = re.search(r"[{\[]", text).end()  # type: ignore[union-attr]  # a file of records opens with one
    while True:
        match = before.match(text, pos)
        if match and match.end() < len(text):
            try:
                record, pos = decoder.raw_decode(text, match.end())
            except json.JSONDecodeError:  # the record runs past this chunk
                pass
            else:
                yield record
                continue
        more = file.read(chunk)
        if not more:
            return
        text, pos = text[pos:] + more, 0
