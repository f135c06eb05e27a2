"""Ingest: input paths → raw records (text dumps, HTML pages, JSON/JSONL records; each optionally gzipped).

Bad input never raises: it becomes a ``Quarantined`` record with a reason. Bugs still raise.
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NONE

from tasks.records import Quarantined, RawRecord, StageResult

log = logging.getLogger(__name__)

FORMATS = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".json": "json", ".jsonl": "json",
           ".ndjson": "json"}
DEFAULT_MAX_BYTES = 256 * 1024 * 1024  # per input, after decompression

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


class BadInput(Exception):
    """An input that cannot become an article; ``reason`` is the quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def input_format(path: Path) -> str | None:
    """The format of a file from its name ("txt", "html", "json"), looking through a ``.gz`` suffix."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return FORMATS.get(suffixes[-1]) if suffixes else None


def discover_inputs(paths: Sequence[str]) -> tuple[list[Path], list[Quarantined]]:
    """Expand files and folders (recursively, sorted, hidden entries skipped) into input files; paths that do not
    exist are returned as quarantined ``not_found``."""
    found: list[Path] = []
    missing: list[Quarantined] = []
    for raw in paths:
        root = Path(raw).expanduser().resolve()
        if root.is_dir():
            found += sorted(p for p in root.rglob("*") if p.is_file() and not _is_hidden(p, root))
        elif root.is_file():
            found.append(root)
        else:
            missing.append(Quarantined(source_uri=raw, reason="not_found", detail="no such file or folder"))
    return list(dict.fromkeys(found)), missing


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, gunzipped when it ends in .gz, refusing more than ``max_bytes``."""
    if path.suffix.lower() == ".gz":
        try:
            with gzip.open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)
        except (OSError, EOFError, zlib.error) as exc:
            raise BadInput("gzip_error", f"cannot decompress: {exc}") from exc
    else:
        if path.stat().st_size > max_bytes:
            raise BadInput("too_large", f"{path.stat().st_size} bytes exceeds the limit of {max_bytes}")
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise BadInput("too_large", f"decompresses to more than the limit of {max_bytes} bytes")
    return data


def decode_text(data: bytes) -> str:
    """Bytes → text: UTF-16 (with a BOM, or recognised by its zero bytes), else UTF-8, else cp1252 — line by line,
    so a file mixing UTF-8 and cp1252 lines decodes both. Binary and empty input are refused."""
    if not data.strip():
        raise BadInput("empty", "the input is empty or only whitespace")
    encoding = _utf16(data)
    if encoding:
        text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
    elif b"\x00" in data[:8192]:
        raise BadInput("binary", "contains NUL bytes: not a text file")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = "".join(_decode_line(line) for line in data.removeprefix(b"\xef\xbb\xbf").splitlines(True))
    if not text.strip():
        raise BadInput("empty", "the input is only whitespace")
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.02 * len(sample):
        raise BadInput("binary", f"{controls} control characters in the first 8 KiB: not a text file")
    return text


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


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def records_from_file(path: Path, *, json_fields: Mapping[str, str] | None = None,
                      max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawRecord | Quarantined]:
    """Every raw record in one input file; a bad file or a bad record yields a ``Quarantined``."""
    uri = str(path)
    fmt = input_format(path)
    if fmt is None:
        yield Quarantined(source_uri=uri, reason="unsupported_format",
                          detail=f"unknown file type {''.join(path.suffixes) or '(none)'}; "
                                 f"expected one of {sorted(FORMATS)} (optionally .gz)")
        return
    try:
        text = decode_text(read_bytes(path, max_bytes))
    except BadInput as exc:
        yield Quarantined(source_uri=uri, reason=exc.reason, detail=exc.detail)
        return
    except OSError as exc:
        yield Quarantined(source_uri=uri, reason="read_error", detail=str(exc))
        return
    if fmt == "txt":
        yield RawRecord(source_uri=uri, source_format="txt", text=text)
    elif fmt == "html":
        yield RawRecord(source_uri=uri, source_format="html", html=text)
    else:
        yield from _json_records(text, uri, json_fields or {})


def _json_records(text: str, uri: str, json_fields: Mapping[str, str]) -> Iterator[RawRecord | Quarantined]:
    stripped = text.lstrip()
    items: Iterable[tuple[int, str | Any]]
    if stripped.startswith("["):  # one JSON array of records
        try:
            array = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield Quarantined(source_uri=uri, reason="invalid_json", detail=f"JSON array does not parse: {exc!r}")
            return
        items = enumerate(array if isinstance(array, list) else [array], start=1)
    else:  # JSON lines; a single pretty-printed object is one record, or a wrapper {"articles": [...]}
        try:
            whole = json.loads(stripped)
            items = enumerate(_wrapped_records(whole) or [whole], start=1)
        except (json.JSONDecodeError, RecursionError):
            lines = (line for line in text.splitlines() if line.strip())
            items = enumerate(lines, start=1)
    for n, item in items:
        record_uri = f"{uri}#{n}"
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield Quarantined(source_uri=record_uri, reason="invalid_json",
                                  detail=f"line does not parse: {exc!r}")
                continue
        try:
            yield record_from_json(item, record_uri, json_fields)
        except BadInput as exc:
            yield Quarantined(source_uri=record_uri, reason=exc.reason, detail=exc.detail)


def _wrapped_records(obj: Any) -> list[Any] | None:
    """The records of an export that wraps them in one object ({"articles": [...]}, {"data": [...]}): the one list
    of objects it holds, when it has no article text of its own."""
    if not isinstance(obj, dict) or any(key in obj for key in FIELD_ALIASES["text"] + FIELD_ALIASES["html"]):
        return None
    lists = [v for v in obj.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    return lists[0] if len(lists) == 1 else None


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
    if value is None or isinstance(value, str):
        return _valid_unicode(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _valid_unicode("\n\n".join(value))  # a list of paragraphs
    raise BadInput("bad_field_type", f"field {name!r} should be text, got {type(value).__name__}")


def _as_scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return _valid_unicode(str(value).strip()) or None


def _valid_unicode(text: str | None) -> str | None:
    """JSON may escape lone surrogates ("\\ud800"), which no UTF-8 writer accepts: they become "?"."""
    return text.encode("utf-8", "replace").decode("utf-8") if text is not None else None


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


def ingest_files(paths: Sequence[Path], *, json_fields: Mapping[str, str] | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> StageResult[RawRecord]:
    """Read a batch of input files into raw records and quarantined inputs."""
    result: StageResult[RawRecord] = StageResult()
    for path in paths:
        for item in records_from_file(path, json_fields=json_fields, max_bytes=max_bytes):
            if isinstance(item, Quarantined):
                log.warning("quarantined %s: %s (%s)", item.source_uri, item.reason, item.detail)
                result.quarantined.append(item)
            else:
                result.records.append(item)
    return result


@task(name="ingest", cache_policy=NONE)  # read errors are quarantined, not retried
def ingest_task(paths: list[Path], json_fields: dict[str, str] | None = None,
                max_bytes: int = DEFAULT_MAX_BYTES) -> StageResult[RawRecord]:
    return ingest_files(paths, json_fields=json_fields, max_bytes=max_bytes)
