"""Nothing is lost in ordinary use: an article stays while any input still provides it, whatever else changes.

Each test is a user's sequence of runs over small JSON-lines files written here; the invariant check in conftest
runs after each of them as well.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from flows.news_pipeline import news_pipeline
from tasks.schemas import ASSIGNED_BY_AGGREGATE
from tasks.warehouse import storage

pytestmark = pytest.mark.usefixtures("prefect_harness")

STORIES = {
    1: "The harbour council approved a new ferry route to the northern islands on Tuesday after a long debate.",
    2: "Farmers in the valley said the late frost had damaged most of the early apple blossom this spring.",
    3: "A small museum reopened its doors after two years of repairs to the roof and the old clock tower.",
}


def _write(path: Path, numbers: list[int]) -> Path:
    records = [{"id": f"r{n}", "url": f"https://example.org/{n}", "title": f"Story {n}", "text": STORIES[n]}
               for n in numbers]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _ids(out: Path) -> set[str]:
    return set(pd.read_parquet(out / "articles")["source_id"])


def test_an_article_stays_while_another_input_still_holds_it(tmp_path: Path) -> None:
    a, b, out = _write(tmp_path / "a.jsonl", [1, 2, 3]), _write(tmp_path / "b.jsonl", [1]), tmp_path / "w"
    first = news_pipeline(inputs=[str(a), str(b)], out=str(out))
    assert first.quarantined == {"duplicate": 1} and _ids(out) == {"r1", "r2", "r3"}
    _write(a, [2, 3])  # record 1 now lives in b.jsonl only, which is unchanged
    news_pipeline(inputs=[str(a), str(b)], out=str(out))
    articles = pd.read_parquet(out / "articles")
    assert set(articles["source_id"]) == {"r1", "r2", "r3"}
    assert articles.set_index("source_id").loc["r1", "source_uri"] == f"{b}#1"
    assert "duplicate" not in set(pd.read_parquet(out / "quarantine")["reason"])


def test_a_deleted_file_named_on_the_command_line_keeps_its_articles(tmp_path: Path) -> None:
    a, b, out = _write(tmp_path / "a.jsonl", [1]), _write(tmp_path / "b.jsonl", [2]), tmp_path / "w"
    news_pipeline(inputs=[str(a), str(b)], out=str(out))
    a.unlink()  # the warehouse is an archive: as when a file leaves a folder, its articles stay
    c = _write(tmp_path / "c.jsonl", [3])
    summary = news_pipeline(inputs=[str(a), str(b), str(c)], out=str(out))
    assert summary.quarantined == {"not_found": 1}
    assert _ids(out) == {"r1", "r2", "r3"}
    inputs = pd.read_parquet(out / "inputs").set_index("source_file")
    assert inputs["articles"].sum() == 3 and inputs.loc[str(a), "articles"] == 1
    again = news_pipeline(inputs=[str(a), str(b), str(c)], out=str(out))  # still missing: one row says so
    assert again.quarantined == {"not_found": 1}
    assert list(pd.read_parquet(out / "quarantine")["reason"]) == ["not_found"]


def test_a_file_refused_as_too_large_is_read_when_the_limit_is_raised(tmp_path: Path) -> None:
    a, out = _write(tmp_path / "a.jsonl", [1, 2]), tmp_path / "w"
    small = news_pipeline(inputs=[str(a)], out=str(out), max_input_bytes=100)
    assert small.quarantined == {"too_large": 1} and _ids(out) == set()
    same = news_pipeline(inputs=[str(a)], out=str(out), max_input_bytes=100)
    assert same.version is None  # nothing changed: the file is not read again under the same limit
    raised = news_pipeline(inputs=[str(a)], out=str(out), max_input_bytes=10_000)
    assert raised.files_processed == 1 and _ids(out) == {"r1", "r2"}
    assert pd.read_parquet(out / "quarantine").empty


def test_a_file_named_like_a_record_is_counted_as_itself(tmp_path: Path) -> None:
    a = _write(tmp_path / "x.jsonl", [1])
    odd = tmp_path / "x.jsonl#2"  # an unsupported file whose name looks like record 2 of x.jsonl
    odd.write_text("not an input", encoding="utf-8")
    out = tmp_path / "w"
    news_pipeline(inputs=[str(tmp_path)], out=str(out))
    inputs = pd.read_parquet(out / "inputs").set_index("source_file")
    assert inputs.loc[str(odd), "quarantined"] == 1 and inputs.loc[str(a), "quarantined"] == 0
    news_pipeline(inputs=[str(tmp_path / "x.jsonl")], out=str(out))  # re-reading x.jsonl keeps the other's row
    _write(a, [1, 2])
    news_pipeline(inputs=[str(a)], out=str(out))
    assert set(pd.read_parquet(out / "quarantine")["source_uri"]) == {str(odd)}


def test_a_run_that_adds_no_article_carries_what_is_derived_over_and_rebuild_recomputes_it(tmp_path: Path) -> None:
    a, out = _write(tmp_path / "a.jsonl", [1, 2]), tmp_path / "w"
    news_pipeline(inputs=[str(a)], out=str(out))
    before = storage.current(out).tables
    b = _write(tmp_path / "b.jsonl", [1])  # a new file, but only a copy of an article the warehouse holds
    again = news_pipeline(inputs=[str(a), str(b)], out=str(out))
    after = storage.current(out).tables
    assert again.quarantined == {"duplicate": 1} and "aggregate" not in again.stage_seconds
    assert after["quarantine"] != before["quarantine"]
    derived = [*ASSIGNED_BY_AGGREGATE, "outlets", "stories", "entity_catalog", "entity_aliases", "entity_names",
               "acronym_evidence", "entity_daily", "entity_outlets", "entity_pairs", "places", "place_evidence",
               "place_evidence_totals", "place_country_daily"]
    assert all(after[name] == before[name] for name in derived)  # the very same files
    catalog = storage.read_table(out, "entity_catalog").sort_by("entity_id")
    rebuilt = news_pipeline(inputs=[], out=str(out), rebuild=True)
    assert "aggregate" in rebuilt.stage_seconds
    assert storage.current(out).tables["entity_catalog"] != after["entity_catalog"]  # written again ...
    assert storage.read_table(out, "entity_catalog").sort_by("entity_id").equals(catalog)  # ... the same rows
