"""Storage: atomic table writes and the merge rules of a run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from tasks import storage
from tasks.aggregate import aggregate_tables
from tasks.outlets import Outlet, Registry
from tasks.records import CleanArticle, Quarantined
from tasks.schemas import ARTICLES, TABLES, data_dictionary
from tasks.warehouse import RunOutput, merge, write_all

NOW = datetime(2025, 7, 1, tzinfo=UTC)


def _article(n: int, source: str) -> CleanArticle:
    return CleanArticle(article_id=f"id{n}", text=f"Text {n}.", content_hash=f"h{n}", source_uri=source,
                        source_format="txt", outlet_name="Daily Ledger", outlet_domain="dailyledger.example",
                        published_at=datetime(2025, 6, n, tzinfo=UTC))


def _commit(out: Path, articles: list[CleanArticle], read: list[str], bad: list[Quarantined] = ()) -> dict:  # type: ignore[assignment, type-arg]
    run = RunOutput(articles=articles, quarantined=list(bad))
    registry = Registry([Outlet(domain="dailyledger.example", name="The Daily Ledger", aliases=("Daily Ledger",))])
    return write_all(out, aggregate_tables(merge(out, run, read, NOW, "test", registry), registry))


def test_every_schema_column_is_described() -> None:
    for schema in TABLES.values():
        for field in schema:
            assert field.metadata and field.metadata[b"description"], field.name
    assert "| `article_id` |" in data_dictionary()


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    table = pa.Table.from_pylist([], schema=ARTICLES)
    path = storage.write_table(tmp_path, "articles", table)
    assert [p.name for p in (tmp_path / "articles").iterdir()] == [storage.DATA_FILE]
    assert pd.read_parquet(path.parent).empty


def test_failed_write_keeps_the_previous_table(tmp_path: Path) -> None:
    _commit(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    bad = pa.table({"article_id": [None]})  # violates the schema: cannot be written
    with pytest.raises((pa.ArrowInvalid, KeyError, ValueError)):
        storage.write_table(tmp_path, "articles", bad)
    assert storage.read_table(tmp_path, "articles")["article_id"].to_pylist() == ["id1"]
    assert len(list((tmp_path / "articles").iterdir())) == 1


def test_rerun_replaces_rows_of_the_inputs_it_read(tmp_path: Path) -> None:
    _commit(tmp_path, [_article(1, "/in/a.txt"), _article(2, "/in/b.jsonl#1")], ["/in/a.txt", "/in/b.jsonl"],
            [Quarantined(source_uri="/in/b.jsonl#2", reason="invalid_json", detail="x")])
    counts = _commit(tmp_path, [_article(3, "/in/b.jsonl#1")], ["/in/b.jsonl"])  # b.jsonl changed
    assert counts["articles"] == 2 and counts["quarantine"] == 0
    assert sorted(storage.read_table(tmp_path, "articles")["article_id"].to_pylist()) == ["id1", "id3"]
    [outlet] = storage.read_table(tmp_path, "outlets").to_pylist()
    assert outlet["article_count"] == 2 and outlet["name"] == "The Daily Ledger" and outlet["in_registry"]
    assert outlet["names_seen"] == ["Daily Ledger"]
    assert outlet["first_published_at"] == datetime(2025, 6, 1, tzinfo=UTC)


def test_same_article_from_another_input_is_quarantined_as_duplicate(tmp_path: Path) -> None:
    _commit(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    counts = _commit(tmp_path, [_article(1, "/in/copy.txt")], ["/in/copy.txt"])
    assert counts["articles"] == 1
    [q] = storage.read_table(tmp_path, "quarantine").to_pylist()
    assert (q["source_uri"], q["reason"]) == ("/in/copy.txt", "duplicate")


@pytest.mark.parametrize(("uri", "file"), [("a.jsonl#12", "a.jsonl"), ("dir#1/a.txt", "dir#1/a.txt"), ("a", "a")])
def test_source_file(uri: str, file: str) -> None:
    assert storage.source_file(uri) == file
