"""What a JSON record says beyond the fields newslake maps (a topic, a bias rating, section ids …), kept as one JSON
object so a source's own vocabulary survives ingest (``articles.source_fields``).

Every key newslake knows a spelling of (``FIELD_ALIASES``, and the keys named with ``--field``) stays out, mapped or
not: an unused spelling of the text (a record with both ``text`` and ``body``) would otherwise hold the article a
second time. Values are kept as the source wrote them (nested objects and arrays as JSON), each up to
``MAX_VALUE_CHARS`` and all of a record's up to ``MAX_TOTAL_CHARS``: a value over either limit is left out and
counted by reason, so a record carrying an embedded page or a base64 image does not make its row megabytes long.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

MAX_VALUE_CHARS = 4 * 1024  # a value's JSON text: ids, labels, small objects; not a second body or an image
MAX_TOTAL_CHARS = 32 * 1024  # all of a record's kept values


def source_fields(obj: Mapping[str, Any], known: Collection[str]) -> tuple[str | None, list[str]]:
    """The JSON object text of ``obj``'s keys outside ``known`` (None when there are none), in the record's order,
    and the reason for each value left out (``source_field_too_large``, ``source_fields_full``,
    ``source_field_not_json``)."""
    kept: list[str] = []
    dropped: list[str] = []
    total = 2  # the braces
    for key, value in obj.items():
        if key in known:
            continue
        try:
            item = f"{_dumps(key)}:{_dumps(value)}"
        except ValueError:  # NaN or Infinity, which Python's parser takes and no other JSON reader does
            dropped.append("source_field_not_json")
            continue
        if len(item) > MAX_VALUE_CHARS:
            dropped.append("source_field_too_large")
        elif total + len(item) + 1 > MAX_TOTAL_CHARS:
            dropped.append("source_fields_full")
        else:
            kept.append(item)
            total += len(item) + 1
    if not kept:
        return None, dropped
    return "{" + ",".join(kept) + "}", dropped


def _dumps(value: Any) -> str:
    """JSON text as readable as the source's (no \\u escapes for letters); a lone surrogate, which no UTF-8 writer
    accepts, becomes "?" as in the text (``files._valid_unicode``). Numbers and nesting are kept as parsed."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8", "replace").decode("utf-8")
