"""Ingest: every input format, field spelling and kind of bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tasks.ingest import ingest_files, records_from_file
from tasks.ingest.discover import discover_inputs
from tasks.records import Quarantined, RawRecord


def _items(path: Path, **kwargs: object) -> list[RawRecord | Quarantined]:
    return list(records_from_file(path, **kwargs))  # type: ignore[arg-type]


def test_text_and_html_files_become_one_record_each(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Some article text.\n", encoding="utf-8")
    (tmp_path / "b.htm").write_text("<html><body><p>Hi</p></body></html>", encoding="utf-8")
    [txt] = _items(tmp_path / "a.txt")
    [html] = _items(tmp_path / "b.htm")
    assert isinstance(txt, RawRecord) and txt.text == "Some article text.\n" and txt.source_format == "txt"
    assert isinstance(html, RawRecord) and html.html and html.source_format == "html"


def test_gzipped_inputs_are_read_through(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": 1, "text": "Body one."}) + "\n" + json.dumps({"id": 2, "text": "Two."}) + "\n")
    records = _items(path)
    assert [r.source_id for r in records if isinstance(r, RawRecord)] == ["1", "2"]
    assert [r.source_uri for r in records] == [f"{path}#1", f"{path}#2"]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"doc_id": "x", "body": "B", "link": "http://a.example/1", "headline": "H", "author": "A B"},
         {"source_id": "x", "text": "B", "url": "http://a.example/1", "title": "H", "authors": ("A B",)}),
        ({"id": "y", "content_original": "C", "source": "Fox News", "source_url": "www.foxnews.com",
          "authors": "Ann One, Bob Two", "date": "2020-01-02"},
         {"text": "C", "outlet_name": "Fox News", "outlet_domain": "www.foxnews.com",
          "authors": ("Ann One", "Bob Two"), "published": "2020-01-02"}),
        ({"articleBody": ["P1", "P2"], "site_name": "S", "domain": "s.example", "datePublished": "2021-05-06"},
         {"text": "P1\n\nP2", "outlet_name": "S", "outlet_domain": "s.example", "published": "2021-05-06"}),
        ({"html": "<p>x</p>", "url": "https://n.example/a", "authors": [{"name": "Jo Ko"}]},
         {"html": "<p>x</p>", "text": None, "authors": ("Jo Ko",)}),
    ],
)
def test_json_fields_are_found_from_common_spellings(tmp_path: Path, record: dict, expected: dict) -> None:  # type: ignore[type-arg]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    [item] = _items(path)
    assert isinstance(item, RawRecord), item
    for key, value in expected.items():
        assert getattr(item, key) == value, key


def test_json_fields_can_be_named_explicitly(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"uid": "u1", "story": "The story.", "text": "not this"}) + "\n", encoding="utf-8")
    [item] = _items(path, json_fields={"id": "uid", "text": "story"})
    assert isinstance(item, RawRecord) and item.source_id == "u1" and item.text == "The story."


def test_json_array_file_numbers_its_records(tmp_path: Path) -> None:
    path = tmp_path / "all.json"
    path.write_text(json.dumps([{"text": "a"}, 5, {"text": "c"}]), encoding="utf-8")
    items = _items(path)
    assert [type(i).__name__ for i in items] == ["RawRecord", "Quarantined", "RawRecord"]
    assert items[1].source_uri == f"{path}#2" and items[1].reason == "not_an_object"  # type: ignore[union-attr]


def test_json_export_wrapping_its_records_in_one_object(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"count": 2, "articles": [{"id": "a", "text": "One."}, {"id": "b", "body": "Two."}]}),
                    encoding="utf-8")
    items = _items(path)
    assert [(i.source_uri.rsplit("#", 1)[1], getattr(i, "text", None)) for i in items] == [("1", "One."), ("2", "Two.")]


def test_broken_json_line_is_quarantined_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "good one"}\n{"text": "bro\n\n{"title": "no body"}\n{"text": 42}\n', encoding="utf-8")
    items = _items(path)
    good = [i for i in items if isinstance(i, RawRecord)]
    bad = {i.source_uri.rsplit("#", 1)[1]: i.reason for i in items if isinstance(i, Quarantined)}
    assert [g.text for g in good] == ["good one"]
    assert bad == {"2": "invalid_json", "3": "no_text", "4": "bad_field_type"}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.html", b"  \n\t\n", "empty"),
        ("image.txt", bytes(range(256)) * 8, "binary"),
        ("noise.html", b"\x01\x02\x03\x04 text \x05\x06\x07\x08" * 20, "binary"),
        ("trunc.txt.gz", gzip.compress(b"hello world " * 100)[:30], "gzip_error"),
        ("notgzip.jsonl.gz", b"plain text, not gzip", "gzip_error"),
    ],
)
def test_bad_files_are_quarantined_with_a_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    [item] = _items(path)
    assert isinstance(item, Quarantined)
    assert (item.reason, item.source_uri) == (reason, str(path))
    assert item.detail


def test_oversized_input_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"a" * 100_000))
    assert _items(path, max_bytes=1000)[0].reason == "too_large"  # type: ignore[union-attr]
    assert _items(bomb, max_bytes=1000)[0].reason == "too_large"  # type: ignore[union-attr]


def test_legacy_encodings_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "u16.txt").write_bytes("Zürich café – “quoted”".encode("utf-16"))
    (tmp_path / "win.txt").write_bytes("Zürich café – “quoted”".encode("cp1252"))
    for name in ("u16.txt", "win.txt"):
        [item] = _items(tmp_path / name)
        assert isinstance(item, RawRecord) and item.text == "Zürich café – “quoted”"


def test_discover_walks_folders_and_sets_aside_what_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "sub" / ".hidden").mkdir(parents=True)
    (tmp_path / "sub" / "a.TXT").write_text("x", encoding="utf-8")
    (tmp_path / "sub" / ".hidden" / "b.txt").write_text("x", encoding="utf-8")
    (tmp_path / "c.html.gz").write_bytes(gzip.compress(b"<p>x</p>"))
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    found = discover_inputs([str(tmp_path), str(tmp_path / "missing.txt")])
    files, missing = found.files, found.quarantined
    assert [f.name for f in files] == ["c.html.gz", "notes.pdf", "a.TXT"]
    assert [(Path(q.source_uri).name, q.reason) for q in missing] == [("missing.txt", "not_found")]
    [(pdf, reason)] = [(Path(q.source_uri).name, q.reason) for q in ingest_files(files).quarantined]
    assert (pdf, reason) == ("notes.pdf", "unsupported_format")


def test_ingest_files_splits_good_and_bad(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"")
    result = ingest_files([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert len(result.records) == 1 and [q.reason for q in result.quarantined] == ["empty"]
