"""What sources say beyond the mapped fields is kept (``articles.source_fields``), and re-reading a file does not
grow the quarantine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flows.news_pipeline import news_pipeline
from tasks.ingest import records_from_file
from tasks.ingest.extras import MAX_TOTAL_CHARS, MAX_VALUE_CHARS, source_fields
from tasks.records import RawRecord, Skipped
from tasks.schemas import STAGED
from tasks.warehouse import storage

FERRY = "The harbour council approved a new ferry route to the northern islands on Tuesday after a long debate."
FROST = "Farmers in the valley said the late frost had damaged most of the early apple blossom this spring."
RECORDS = [
    {"id": "r1", "url": "https://example.org/1", "title": "Ferry route", "text": FERRY, "author": "Ana Lind",
     "topic": "transport", "section": {"id": 7, "name": "Local", "path": ["news", "local"]}, "wire_id": 981,
     "bias": None, "paywalled": False},
    {"id": "r2", "url": "https://example.org/2", "title": "Late frost", "body": FROST, "headline": "Frost",
     "topic": "farming"},
    # the same article again under another id: a duplicate within new input, quarantined once
    {"id": "r3", "url": "https://example.org/1", "title": "Ferry route", "text": FERRY},
]


def _write(path: Path) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def test_unknown_keys_are_kept_in_order_and_known_spellings_left_out() -> None:
    kept, left_out = source_fields({"text": "body", "body": "body again", "topic": "x", "n": 1.5,
                                    "nested": {"a": [1, "é"]}}, known={"text", "body"})
    assert kept == '{"topic":"x","n":1.5,"nested":{"a":[1,"é"]}}' and left_out == []
    assert source_fields({"text": "only known"}, known={"text"}) == (None, [])


def test_values_too_large_or_not_json_are_left_out_and_counted() -> None:
    big = {"embedded_page": "x" * MAX_VALUE_CHARS, "topic": "kept", "score": float("nan")}
    kept, left_out = source_fields(big, known=())
    assert kept == '{"topic":"kept"}'
    assert left_out == ["source_field_too_large", "source_field_not_json"]
    many = {f"k{n}": "v" * 1000 for n in range(40)}  # each value small, together over the record's limit
    kept, left_out = source_fields(many, known=())
    assert kept is not None and len(kept) <= MAX_TOTAL_CHARS and set(left_out) == {"source_fields_full"}
    assert len(json.loads(kept)) + len(left_out) == 40


def test_ingest_keeps_a_records_other_fields_and_counts_what_it_leaves_out(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [*RECORDS[:2], {"id": "r4", "text": FROST, "blob": "y" * (MAX_VALUE_CHARS + 1)}]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    items = list(records_from_file(path, json_fields={"title": "headline"}))
    records = [i for i in items if isinstance(i, RawRecord)]
    assert [i.reason for i in items if isinstance(i, Skipped)] == ["source_field_too_large"]
    assert json.loads(records[0].source_fields or "") == {
        "topic": "transport", "section": {"id": 7, "name": "Local", "path": ["news", "local"]}, "wire_id": 981,
        "bias": None, "paywalled": False}
    assert records[1].title == "Frost" and json.loads(records[1].source_fields or "") == {"topic": "farming"}
    assert records[2].source_fields is None  # nothing but a value too large to keep
    (tmp_path / "page.html").write_text("<html><body><p>Hi</p></body></html>", encoding="utf-8")
    [page] = records_from_file(tmp_path / "page.html")
    assert isinstance(page, RawRecord) and page.source_fields is None


def test_a_part_written_before_the_column_existed_reads_it_as_null(tmp_path: Path) -> None:
    old = STAGED["articles"].remove(STAGED["articles"].get_field_index("source_fields"))
    row = {f.name: None for f in old} | {"article_id": "a", "text": "t", "word_count": 1, "sentence_count": 0,
                                         "source_uri": "f.jsonl#1", "source_format": "json", "content_hash": "h",
                                         "ingested_at": pd.Timestamp("2024-01-01", tz="UTC"),
                                         "pipeline_version": "0.1"}
    pq.write_table(pa.Table.from_pylist([row], schema=old), tmp_path / "part.parquet")
    [batch] = storage.scan(str(tmp_path), "articles", [str(tmp_path / "part.parquet")], STAGED["articles"].names,
                           only={"a"})
    assert batch.column("source_fields").to_pylist() == [None] and batch.column("article_id").to_pylist() == ["a"]


@pytest.mark.usefixtures("prefect_harness")
def test_source_fields_reach_the_tables_and_re_reads_add_no_quarantine_rows(tmp_path: Path) -> None:
    feed, out = _write(tmp_path / "feed.jsonl"), tmp_path / "w"
    first = news_pipeline(inputs=[str(feed)], out=str(out))
    assert first.quarantined == {"duplicate": 1}
    articles = pd.read_parquet(out / "articles").set_index("source_id")
    extra = {k: json.loads(v) for k, v in articles["source_fields"].items()}
    assert extra["r1"] == {"topic": "transport", "section": {"id": 7, "name": "Local", "path": ["news", "local"]},
                           "wire_id": 981, "bias": None, "paywalled": False}
    assert extra["r2"] == {"topic": "farming"}  # body, headline, id, url, title, text, author: mapped, not repeated
    with storage.open_duckdb(out) as con:
        rows = con.sql("select source_id, json_extract_string(source_fields, '$.section.name'), "
                       "source_fields->>'topic', (source_fields->'wire_id')::int from articles "
                       "order by source_id").fetchall()
    assert rows == [("r1", "Local", "transport", 981), ("r2", None, "farming", None)]

    quarantine = pd.read_parquet(out / "quarantine")
    with feed.open("a", encoding="utf-8") as fh:
        fh.write("\n")  # changed: read again, its rows replace its earlier ones
    second = news_pipeline(inputs=[str(feed)], out=str(out))
    assert second.files_processed == 1 and second.quarantined == {"duplicate": 1}
    os.utime(feed)  # touched, not changed: nothing to read, even asked to reparse
    third = news_pipeline(inputs=[str(feed)], out=str(out), reparse=True)
    assert third.version is None
    again = pd.read_parquet(out / "quarantine")
    assert len(again) == len(quarantine) == 1
    assert list(again["source_uri"]) == [f"{feed}#3"] and list(again["reason"]) == ["duplicate"]
    assert pd.read_parquet(out / "articles")["source_fields"].notna().sum() == 2
