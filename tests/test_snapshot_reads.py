"""Readers while commits land: a snapshot reads every table at one version, however slow the reader and however
many commits land; a DuckDB connection held open across the commits keeps reading whole tables; a plain
``DIR/<table>`` read never mixes two versions of a table (it may come short: tasks/warehouse/snapshot.py)."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import Counter
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from tasks.schemas import TABLES
from tasks.warehouse import storage
from tasks.warehouse.commit import Commit

NOW = datetime(2025, 7, 1, tzinfo=UTC)
COMMITS = 25
SLOW_ROUNDS = 6  # one round of reads in 6 holds its version while HELD_COMMITS commits land
HELD_COMMITS = 5


def _commit(out: Path, n: int) -> storage.Snapshot:
    """Commit ``n`` replaces every article (two parts), its inputs and entities: ids say which commit wrote a row."""
    commit = Commit(storage.current(out))
    articles = pa.Table.from_pylist([
        {"article_id": f"c{n}-{i}", "outlet_id": "o", "text": "Text.", "word_count": 1, "sentence_count": 1,
         "source_uri": f"/in/{n}-{i}.txt", "source_format": "txt", "content_hash": "h", "story_id": "s",
         "ingested_at": NOW, "pipeline_version": "test"} for i in range(6)], schema=TABLES["articles"])
    commit.write("articles", articles.slice(0, 3))
    commit.write("articles", articles.slice(3))
    commit.write("inputs", pa.Table.from_pylist([
        {"source_file": f"/in/{n}-{i}.txt", "content_hash": "sha", "size_bytes": 1, "mtime_ns": 1, "articles": 1,
         "quarantined": 0, "version": commit.version, "processed_at": NOW} for i in range(6)], schema=TABLES["inputs"]))
    commit.write("entities", pa.Table.from_pylist([
        {"article_id": f"c{n}-{i % 6}", "sentence_index": 0, "char_start": 0, "char_end": 4, "text": "Text",
         "label": "ORG", "model_label": "ORG", "name_key": "text", "entity_id": f"e{i}", "canonical_name": "Text"}
        for i in range(12)], schema=TABLES["entities"]))
    return commit.publish()


def _wait_for_commits(out: str, after: int, stop: Event) -> bool:
    """A slow reader: hold on until HELD_COMMITS commits have replaced every part the reader began with."""
    while storage.current(out).sequence < after + HELD_COMMITS:
        if stop.is_set():
            return False
        time.sleep(0.01)
    return True


def _read_pair(out: str, kind: str, slow: bool, stop: Event) -> tuple[list[str], list[str], bool]:
    """Article ids, then the article ids of entities, read at one version through a snapshot; and whether the
    reader held that version while HELD_COMMITS commits landed."""
    with storage.snapshot(out) as snap:
        if kind == "pandas":
            articles = pd.read_parquet(snap.table_path("articles"))["article_id"].tolist()
        else:
            articles = snap.read("articles", ["article_id"])["article_id"].to_pylist()
        held = slow and _wait_for_commits(out, snap.sequence, stop)
        if kind == "pandas":
            return articles, pd.read_parquet(snap.table_path("entities"))["article_id"].tolist(), held
        return articles, snap.read("entities", ["article_id"])["article_id"].to_pylist(), held


def _duckdb_pass(con: duckdb.DuckDBPyConnection, counts: Counter[str]) -> None:
    """One query per table through a connection opened before the first commit: each table whole, one version. A
    query that lists a table's folder just before a commit swaps it finds a part gone, and fails: asked again, as a
    BI tool's user would, it reads the new version (README, "Reading while runs commit")."""
    for table, rows in (("articles", 6), ("entities", 12)):
        try:
            ids = [r[0] for r in con.sql(f"select article_id from {table}").fetchall()]
        except duckdb.IOException as error:
            assert "Cannot open file" in str(error), error
            counts["duckdb asked again"] += 1
            ids = [r[0] for r in con.sql(f"select article_id from {table}").fetchall()]
        counts["duckdb half-made"] += len(ids) != rows or len({i.split("-")[0] for i in ids}) != 1


def _reader(out: str, started: Event, stop: Event, results: mp.Queue[dict[str, int]]) -> None:
    """Loop until told to stop: snapshot reads of two tables, DuckDB reads through one held connection, plain
    reads of one table."""
    counts: Counter[str] = Counter()
    con = duckdb.connect(str(Path(out) / storage.DUCKDB_FILE), read_only=True, config={"file_search_path": out})
    started.set()
    while not stop.is_set():
        kind = ("pandas", "arrow", "duckdb", "plain")[counts["passes"] % 4]
        slow = counts["passes"] // 4 % SLOW_ROUNDS == 0  # the first round, then every sixth
        counts["passes"] += 1
        if kind == "plain":  # one table through DIR/articles: see tasks/warehouse/snapshot.py for what it may give
            try:
                frame = pd.read_parquet(Path(out) / "articles")
            except FileNotFoundError:
                counts["plain FileNotFoundError"] += 1
                continue
            ids = frame["article_id"].tolist() if "article_id" in frame.columns else []
            counts["plain partial"] += len(ids) < 6
            counts["plain two versions"] += len({i.split("-")[0] for i in ids}) > 1
            continue
        try:
            if kind == "duckdb":
                _duckdb_pass(con, counts)
                counts["duckdb passes"] += 1
                continue
            articles, mentioned, held = _read_pair(out, kind, slow, stop)
        except Exception as error:  # noqa: BLE001 (counted: the test asserts there are none)
            counts[f"error {kind} {type(error).__name__}: {error}"[:200]] += 1
            continue
        counts[f"slow {kind}"] += held
        counts["mixed"] += not set(mentioned) <= set(articles)
        whole = (len(articles), len(mentioned)) == (6, 12)  # every row of both tables
        counts["half-made"] += len({i.split("-")[0] for i in articles}) != 1 or not whole
    con.close()
    results.put(dict(counts))


def test_readers_see_one_version_across_25_commits(tmp_path: Path) -> None:
    out = storage.location(tmp_path)
    _commit(tmp_path, 0)
    context = mp.get_context("spawn")  # a fresh interpreter, as a user's script or notebook would be
    started, stop, results = context.Event(), context.Event(), context.Queue()
    reader = context.Process(target=_reader, args=(out, started, stop, results))
    reader.start()
    try:
        assert started.wait(60)
        for n in range(1, COMMITS + 1):
            _commit(tmp_path, n)
        time.sleep(0.2)  # the reader finishes a pass on the last version
    finally:
        stop.set()
        counts = results.get(timeout=60)
        reader.join(timeout=30)
    errors = {k: v for k, v in counts.items() if k.startswith("error")}
    assert errors == {} and counts["mixed"] == 0 and counts["half-made"] == 0, counts
    assert counts["plain two versions"] == 0, counts  # a plain read may come short in a commit's window, never mix
    assert counts["duckdb half-made"] == 0 and counts["duckdb passes"] >= 3, counts  # one connection throughout
    assert min(counts[f"slow {kind}"] for kind in ("pandas", "arrow")) >= 1, counts  # held across HELD_COMMITS
    assert counts["passes"] >= 12, counts
    _commit(tmp_path, COMMITS + 1)  # the readers are gone: what they pinned goes now
    assert list((tmp_path / storage.STATE_DIR).glob("pins/*")) == []


def test_a_snapshot_outlives_later_commits_and_its_pin_goes_after(tmp_path: Path) -> None:
    _commit(tmp_path, 0)
    pins = tmp_path / storage.STATE_DIR / "pins"
    with storage.snapshot(tmp_path) as snap:
        for n in range(1, HELD_COMMITS + 1):
            _commit(tmp_path, n)
        assert snap.sequence == 1 and storage.current(tmp_path).sequence == HELD_COMMITS + 1
        assert sorted(pd.read_parquet(snap.table_path("articles"))["article_id"]) == [f"c0-{i}" for i in range(6)]
        assert snap.read("entities").num_rows == 12
        assert sorted(pd.read_parquet(tmp_path / "articles")["article_id"]) == [f"c5-{i}" for i in range(6)]
    assert list(pins.iterdir()) == []
    assert not (tmp_path / storage.STATE_DIR / "versions").exists() or not any(
        (tmp_path / storage.STATE_DIR / "versions").iterdir())


def test_the_writer_removes_the_pin_of_a_killed_reader_only(tmp_path: Path) -> None:
    _commit(tmp_path, 0)
    pins = tmp_path / storage.STATE_DIR / "pins"
    context = mp.get_context("spawn")
    killed = context.Process(target=_hold_a_snapshot, args=(str(tmp_path), 600))
    killed.start()
    while not pins.is_dir() or not any(pins.iterdir()):
        time.sleep(0.05)
    killed.kill()
    killed.join()
    with storage.snapshot(tmp_path):
        _commit(tmp_path, 1)  # from storage.open_for_writing's caller: here the commit removes free pins
        with storage.writer_lock(tmp_path):
            storage.open_for_writing(tmp_path)
        assert len(list(pins.iterdir())) == 1  # the killed reader's pin is gone, this one stays


def _hold_a_snapshot(out: str, seconds: float) -> None:
    with storage.snapshot(out):
        time.sleep(seconds)


def test_a_snapshot_of_an_empty_warehouse_reads_empty_tables(tmp_path: Path) -> None:
    with storage.snapshot(tmp_path) as snap:
        assert snap.version is None and snap.read("articles").num_rows == 0
        with pytest.raises(FileNotFoundError, match="nothing has been committed"):
            snap.table_path("articles")
