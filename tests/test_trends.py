"""entity_daily and entity_pairs from tiny tables, entity_outlets kept over runs, and the DuckDB file a BI tool
opens."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from flows.news_pipeline import news_pipeline
from tasks.aggregate import entity_outlets, trends
from tasks.aggregate.trends import entity_trends
from tasks.schemas import ARTICLES, ENTITIES, SENTENCES, TABLES
from tasks.warehouse import storage
from tasks.warehouse.commit import Commit


def _articles() -> pa.Table:
    return pa.Table.from_pylist([
        {"article_id": a, "outlet_id": o, "text": "x", "word_count": 1, "sentence_count": 2, "source_uri": a,
         "source_format": "txt", "content_hash": a, "ingested_at": datetime(2025, 1, 1, tzinfo=UTC),
         "pipeline_version": "t", "published_at": p, "story_id": a}
        for a, o, p in (("a1", "o1", datetime(2025, 6, 1, 23, 30, tzinfo=UTC)),
                        ("a2", "o1", datetime(2025, 6, 1, 8, tzinfo=UTC)), ("a3", "o2", None))], schema=ARTICLES)


def _entities() -> pa.Table:
    rows = [("a1", 0, "kim", "PERSON"), ("a1", 0, "putin", "PERSON"), ("a1", 1, "kim", "PERSON"),
            ("a1", 1, "monday", "DATE"), ("a2", 0, "kim", "PERSON"), ("a2", 1, "putin", "PERSON"),
            ("a3", 0, "kim", "PERSON")]
    return pa.Table.from_pylist([
        {"article_id": a, "sentence_index": s, "char_start": i, "char_end": i + 1, "text": e, "label": label,
         "model_label": label, "name_key": e, "entity_id": e, "canonical_name": e.title()}
        for i, (a, s, e, label) in enumerate(rows)], schema=ENTITIES)


def _sentences() -> pa.Table:
    tones = {("a1", 0): 0.5, ("a1", 1): -0.25, ("a2", 0): 0.0, ("a2", 1): None, ("a3", 0): -0.5}
    return pa.Table.from_pylist([
        {"article_id": a, "sentence_index": i, "char_start": 0, "char_end": 1, "text": "x", "tone": t}
        for (a, i), t in tones.items()], schema=SENTENCES)


def test_entity_daily_counts_mentions_and_articles_per_outlet_and_day() -> None:
    daily = {(r["entity_id"], r["outlet_id"], str(r["day"])): (r["mentions"], r["articles"], r["tone"])
             for r in entity_trends(_articles(), _entities(), _sentences())["entity_daily"].to_pylist()}
    # kim: a1's sentences 0 and 1 (once each, though named twice in neither), a2's sentence 0
    assert daily[("kim", "o1", "2025-06-01")] == (3, 2, (0.5 - 0.25 + 0.0) / 3)
    assert daily[("kim", "o2", "None")] == (1, 1, -0.5)
    assert daily[("putin", "o1", "2025-06-01")] == (2, 2, 0.5)  # a2's sentence 1 has no tone: not counted


def test_entity_pairs_within_articles_and_sentences_skip_dates() -> None:
    pairs = {(r["entity_a"], r["entity_b"]): (r["article_count"], r["sentence_count"])
             for r in entity_trends(_articles(), _entities(), _sentences())["entity_pairs"].to_pylist()}
    assert pairs == {("kim", "putin"): (2, 1)}  # both articles; only a1's first sentence; "monday" is a date


def test_entity_pairs_in_buckets_are_the_pairs_of_one_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    # many entities in a few articles: each bucket counts the pairs of its first entities, all buckets the table
    rows = [{"article_id": f"a{i % 3}", "sentence_index": i % 2, "char_start": i, "char_end": i + 1, "text": f"E{i}",
             "label": "PERSON", "model_label": "PERSON", "name_key": f"e{i % 7}", "entity_id": f"e{i % 7}",
             "canonical_name": f"E{i % 7}"} for i in range(30)]
    entities = pa.Table.from_pylist(rows, schema=ENTITIES)

    def pairs() -> list[tuple[str, str, int, int]]:
        table = entity_trends(_articles(), entities, _sentences())["entity_pairs"]
        return sorted(zip(*(table[c].to_pylist() for c in ("entity_a", "entity_b", "article_count",
                                                           "sentence_count")), strict=True))

    whole = pairs()
    monkeypatch.setattr(trends, "MENTIONS_PER_PAIR_BUCKET", 4)  # 30 mentions: eight buckets
    assert pairs() == whole and len(whole) == 21  # every pair of 7 entities, each once


def test_duckdb_file_has_a_view_per_table(tmp_path: Path) -> None:
    commit = Commit(storage.open_for_writing(tmp_path))
    commit.write("articles", _articles())
    commit.write("inputs", pa.Table.from_pylist([  # the manifest rows of the inputs they came from, as a run writes
        {"source_file": a, "content_hash": a, "size_bytes": 1, "mtime_ns": 1, "articles": 1, "quarantined": 0,
         "version": commit.version, "processed_at": datetime(2025, 1, 1, tzinfo=UTC)} for a in ("a1", "a2", "a3")],
        schema=TABLES["inputs"]))
    commit.publish()
    path = tmp_path / storage.DUCKDB_FILE
    with duckdb.connect(str(path), read_only=True, config={"file_search_path": str(tmp_path)}) as con:
        assert con.sql("select count(*) from articles").fetchone() == (3,)
        assert {r[0] for r in con.sql("select view_name from duckdb_views() where not internal").fetchall()} == set(
            TABLES)
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    assert cli, "the duckdb CLI (PyPI duckdb-cli) is installed with the project"
    shown = subprocess.run([cli, "-readonly", str(path), "select outlet_id from articles order by 1"],
                           cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "o1" in shown and "o2" in shown
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [storage.STATE_DIR]


def _outlet_rows(out: Path, name: str) -> list[tuple[object, ...]]:
    ids = storage.read_table(out, "entity_catalog").select(["entity_id", "canonical_name"]).to_pylist()
    wanted = {r["entity_id"] for r in ids if r["canonical_name"] == name}
    table = storage.read_table(out, "entity_outlets")
    return sorted(tuple(r.values()) for r in table.to_pylist() if r["entity_id"] in wanted)


@pytest.mark.usefixtures("prefect_harness")
def test_entity_outlets_kept_over_runs_finds_a_later_first_day_when_the_first_is_taken_away(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "w"

    def file(name: str, day: str, text: str) -> str:
        path = tmp_path / f"{name}.jsonl"
        path.write_text(json.dumps({"id": name, "url": f"https://harbor.example/{name}", "title": f"Report {name}",
                                    "date": day, "text": text}) + "\n", encoding="utf-8")
        return str(path)

    news_pipeline(inputs=[file("jan", "2024-01-09", "Jonas Brandt opened the new pier in the harbour on Monday."),
                          file("mar", "2024-03-04", "Jonas Brandt said the pier would close for repairs on Friday.")],
                  out=str(out))
    assert [row[4:] for row in _outlet_rows(out, "Jonas Brandt")] == [(date(2024, 1, 9), date(2024, 3, 4))]
    # the second run rewrites January only, without him: March, carried, now holds its first day
    monkeypatch.setattr(entity_outlets, "EVERY_SQL", "select error('every month summed')")
    news_pipeline(inputs=[file("jan", "2024-01-09", "Farmers near Lake Orna said the frost had damaged the apples.")],
                  out=str(out))
    kept = _outlet_rows(out, "Jonas Brandt")
    assert [row[2:] for row in kept] == [(1, 1, date(2024, 3, 4), date(2024, 3, 4))]
    monkeypatch.undo()
    news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert _outlet_rows(out, "Jonas Brandt") == kept
