"""Hostile and broken input: each kind ends in quarantine with a clear reason or is read correctly; nothing raises,
nothing explodes in memory, cleaning never touches the network. Hypothesis fuzzes the ingest and clean entry points."""

from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.clean import MAX_BODY_CHARS, clean_record, clean_records, parse_published
from tasks.ingest import ingest_files, records_from_file
from tasks.records import CleanArticle, Quarantined, RawRecord

PARAGRAPH = "The harbour authority said on Monday that the new ferry line would open in the spring. " * 3
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _one(path: Path, **kwargs: object) -> RawRecord | Quarantined:
    [item] = list(records_from_file(path, **kwargs))  # type: ignore[arg-type]
    return item


@pytest.mark.parametrize(("data", "encoding"), [
    ("Zürich café – “quoted”\n".encode("utf-16"), "UTF-16 with BOM"),
    ("Zürich café – “quoted”\n".encode("utf-16-le"), "UTF-16 LE without BOM"),
    ("Zürich café – “quoted”\n".encode("utf-16-be"), "UTF-16 BE without BOM"),
    ("Zürich café – “quoted”\n".encode("cp1252"), "cp1252"),
    (b"\xef\xbb\xbf" + "Zürich café – “quoted”\n".encode(), "UTF-8 with BOM"),
])
def test_encodings_decode_to_the_same_text(tmp_path: Path, data: bytes, encoding: str) -> None:
    (tmp_path / "a.txt").write_bytes(data)
    item = _one(tmp_path / "a.txt")
    assert isinstance(item, RawRecord) and item.text == "Zürich café – “quoted”\n", encoding


def test_latin1_and_mixed_encodings_decode_line_by_line(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Señor Müller à Genève\n".encode("latin-1"))
    (tmp_path / "mixed.txt").write_bytes("Zürich in UTF-8\n".encode() + "Genève in cp1252 – yes\n".encode("cp1252"))
    assert _one(tmp_path / "latin1.txt").text == "Señor Müller à Genève\n"  # type: ignore[union-attr]
    assert _one(tmp_path / "mixed.txt").text == "Zürich in UTF-8\nGenève in cp1252 – yes\n"  # type: ignore[union-attr]


def test_one_invalid_sequence_falls_back_alone_not_its_whole_line(tmp_path: Path) -> None:
    line = "Café Zürich in UTF-8, then one cp1252 dash ".encode() + "– and Genève".encode("cp1252") + b"\n"
    (tmp_path / "a.txt").write_bytes(line * 3)
    assert _one(tmp_path / "a.txt").text == "Café Zürich in UTF-8, then one cp1252 dash – and Genève\n" * 3  # type: ignore[union-attr]


def test_decoding_does_not_depend_on_where_reads_split_the_bytes() -> None:
    from tasks.ingest.decode import read_pieces, text_chunks

    text = "Zürich “quoted” café – Genève 東京 🚢 end\n" * 50
    data = text.encode() + "Genève – cp1252\n".encode("cp1252")
    expected = text + "Genève – cp1252\n"
    for size in (1, 2, 3, 5, 7, 64):
        stream = __import__("io").BytesIO(data)
        assert "".join(text_chunks(stream, read_bytes=size)) == expected, size
    utf16 = "".join(read_pieces(text, 1000)).encode("utf-16")
    assert "".join(text_chunks(__import__("io").BytesIO(utf16), read_bytes=5)) == text


def test_nul_and_control_characters_never_reach_the_text(tmp_path: Path) -> None:
    dirty = "\x00Ferry\x00 line\x1b[31m opens\x08\x07 in spring;\tnew\fpage\vbreak\x1fend\r\n"
    (tmp_path / "late.txt").write_text(PARAGRAPH * 100 + "\n" + dirty, encoding="utf-8")  # NULs after 8 KiB
    (tmp_path / "feed.jsonl").write_text(json.dumps({"text": PARAGRAPH + dirty, "title": "A\u0000B"}) + "\n",
                                         encoding="utf-8")
    txt, record = _one(tmp_path / "late.txt"), _one(tmp_path / "feed.jsonl")
    assert isinstance(txt, RawRecord) and isinstance(record, RawRecord)
    for text in (txt.text, record.text):
        assert text is not None and text.endswith("Ferry line[31m opens in spring;\tnew\fpage\nbreak end\r\n")
    assert record.title == "AB"
    for item in (txt, record):
        article = clean_record(item)
        assert isinstance(article, CleanArticle)
        assert not [c for c in article.text if ord(c) < 32 and c not in "\n\t\r\f"], article.text[-80:]


def test_character_references_to_control_characters_neither_reach_the_text_nor_lose_the_page() -> None:
    page = (f"<html><body><article><h1>Ferry line</h1><p>{PARAGRAPH}</p><p>Ferry&#1;line&#x1B;[31m opens&#12; "
            f"now&#x8;&#9;. {PARAGRAPH}</p></article></body></html>")
    article = clean_record(RawRecord(source_uri="p.html", source_format="html", html=page))
    assert isinstance(article, CleanArticle), article
    assert "Ferryline[31m opens now ." in article.text


@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize(("parameter", "value"), [("batch_size", 0), ("batch_size", -1), ("workers", 0),
                                                  ("max_input_bytes", 0)])
def test_flow_parameters_are_checked_before_anything_runs(tmp_path: Path, parameter: str, value: int) -> None:
    from flows.news_pipeline import news_pipeline

    (tmp_path / "a.txt").write_text(PARAGRAPH, encoding="utf-8")
    with pytest.raises(ValueError, match=f"{parameter} must be at least 1, got {value}"):
        news_pipeline(inputs=[str(tmp_path / "a.txt")], out=str(tmp_path / "w"), **{parameter: value})
    assert not (tmp_path / "w").exists()


def test_gzip_bomb_is_refused_without_inflating_it(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(64):
            fh.write(b"\0" * (1 << 20))  # 64 MiB of zeros, ~64 KiB compressed
    item = _one(path, max_bytes=1 << 20)
    assert isinstance(item, Quarantined) and item.reason == "too_large"
    assert path.stat().st_size < 200_000


def test_truncated_gzip_and_size_limit(tmp_path: Path) -> None:
    (tmp_path / "t.txt.gz").write_bytes(gzip.compress(PARAGRAPH.encode() * 50)[:40])
    (tmp_path / "big.txt").write_text(PARAGRAPH * 100, encoding="utf-8")
    assert _one(tmp_path / "t.txt.gz").reason == "gzip_error"  # type: ignore[union-attr]
    assert _one(tmp_path / "big.txt", max_bytes=1000).reason == "too_large"  # type: ignore[union-attr]


def test_json_of_wrong_types_deep_nesting_and_lone_surrogates(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": 42}), json.dumps({"text": {"p": "x"}}), json.dumps([1, 2]), json.dumps("just text"),
        '{"text": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"id": 7, "title": ["a"], "authors": 3, "text": "Bad \\ud800 surrogate. ' + PARAGRAPH + '"}',
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = ingest_files([tmp_path / "feed.jsonl", tmp_path / "deep.json"])
    reasons = [(Path(q.source_uri).name, q.reason) for q in result.quarantined]
    assert reasons == [("feed.jsonl#1", "bad_field_type"), ("feed.jsonl#2", "bad_field_type"),
                       ("feed.jsonl#3", "not_an_object"), ("feed.jsonl#4", "not_an_object"),
                       ("feed.jsonl#5", "invalid_json"), ("deep.json#1", "invalid_json")]  # the item nested too deeply
    [record] = result.records
    assert record.source_id == "7" and record.title is None and "Bad ? surrogate" in (record.text or "")
    article = clean_record(record)
    assert isinstance(article, CleanArticle)
    pa.array([article.text])  # writable as UTF-8


def test_xml_entity_bomb_in_html_is_not_expanded() -> None:
    entities = '<!ENTITY a0 "boom">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    page = (f'<?xml version="1.0"?><!DOCTYPE html [{entities}]><html><body><article><h1>Ferry line</h1>'
            f"<p>&a9;</p><p>{PARAGRAPH}</p></article></body></html>")
    article = clean_record(RawRecord(source_uri="bomb.html", source_format="html", html=page))
    assert isinstance(article, CleanArticle) and "boom" not in article.text and len(article.text) < 2000


@pytest.mark.parametrize("html", [
    "<html><body><p>unclosed <div><table><tr><td>cell" * 500,
    "<<<>>>&&&;;;</p></p></div>",
    "<p>" + "<b>" * 20_000 + "deep " * 50,
    "<script>document.write('<p>injected</p>')</script><p>" + PARAGRAPH + "</p><iframe src='http://x'>",
])
def test_broken_html_is_cleaned_or_quarantined(html: str) -> None:
    result = clean_records([RawRecord(source_uri="page.html", source_format="html", html=html)])
    assert len(result.records) + len(result.quarantined) == 1
    for article in result.records:
        assert "injected" not in article.text and "document.write" not in article.text


def test_an_absurdly_long_body_is_quarantined() -> None:
    record = RawRecord(source_uri="book.txt", source_format="json", text=(PARAGRAPH + "\n\n") * 2000)
    item = clean_record(record)
    assert isinstance(item, Quarantined) and item.reason == "too_long" and len(record.text or "") > MAX_BODY_CHARS


def test_cleaning_makes_no_network_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("cleaning tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    page = (f'<html><head><link rel="canonical" href="http://example.com/a"><meta property="og:image" '
            f'content="http://example.com/i.jpg"><script src="http://example.com/s.js"></script></head><body>'
            f'<img src="http://example.com/p.jpg"><p>{PARAGRAPH}</p><a href="http://example.com/b">more</a>'
            f"</body></html>")
    result = clean_records([RawRecord(source_uri="p.html", source_format="html", html=page,
                                      url="http://example.com/a")])
    assert len(result.records) == 1


SUFFIXES = [".txt", ".html", ".json", ".jsonl", ".txt.gz", ".jsonl.gz", ".pdf", ""]


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(SUFFIXES))
def test_fuzz_ingest_never_raises(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"input{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") and data[:1] != b"x" else data)
    for item in records_from_file(path, max_bytes=1 << 16):
        assert isinstance(item, (RawRecord, Quarantined))
        if isinstance(item, Quarantined):
            assert item.reason and item.detail
        else:
            text = (item.text or "") + (item.html or "")
            assert not [c for c in text if ord(c) < 32 and c not in "\t\n\r\f"]


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=20)
FIELDS = st.sampled_from(["id", "url", "title", "text", "body", "html", "authors", "date", "source", "domain"])


@FUZZ
@given(records=st.lists(st.dictionaries(FIELDS, json_values, max_size=6), max_size=5))
def test_fuzz_json_records_never_raise(tmp_path: Path, records: list[dict]) -> None:  # type: ignore[type-arg]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) or "{}", encoding="utf-8")
    for item in records_from_file(path):
        assert isinstance(item, (RawRecord, Quarantined))
        if isinstance(item, RawRecord):
            assert isinstance(clean_record(item), (CleanArticle, Quarantined))


html_fragments = st.lists(st.sampled_from([
    "<p>", "</p>", "<div>", "</div>", "<article>", "<h1>", "</h1>", "<figure><figcaption>Photo: AFP</figcaption>",
    "<script>", "</script>", "<meta name='author' content='", "'>", "<title>", "</title>", "&amp;", "&#0;", "<!--",
    "-->", "<![CDATA[", "]]>", "<br>", "<li>", "By Jane Roe", "Share this", PARAGRAPH, "\n", "\x00", "\ud7ff",
]) | st.text(max_size=40), max_size=40).map("".join)


@FUZZ
@given(html=html_fragments, text=st.text(max_size=2000), fmt=st.sampled_from(["txt", "html", "json"]),
       published=st.text(max_size=30), url=st.none() | st.text(max_size=60))
def test_fuzz_clean_never_raises(html: str, text: str, fmt: str, published: str, url: str | None) -> None:
    record = RawRecord(source_uri="x", source_format=fmt, text=text + PARAGRAPH if fmt != "html" else None,
                       html=html if fmt == "html" else None, published=published, url=url)
    item = clean_record(record)
    assert isinstance(item, (CleanArticle, Quarantined))
    if isinstance(item, CleanArticle):
        pa.array([item.text, item.title, item.url])  # everything it returns can be written
    assert parse_published(published) is None or parse_published(published).tzinfo is not None  # type: ignore[union-attr]
