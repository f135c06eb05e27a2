"""Storage: versioned commits of every table at once, the writer lock, compaction, and the merge rules of a run."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tasks.aggregate import aggregate, sql
from tasks.aggregate.outlets import Outlet, Registry
from tasks.dictionary import data_dictionary
from tasks.ingest import DEFAULT_MAX_BYTES
from tasks.records import CleanArticle, NlpRows, Quarantined
from tasks.schemas import ARTICLES, ENTITIES, QUOTES, SENTENCES, TABLES
from tasks.warehouse import RunOutput, RunStamp, manifest, merge, partitions, storage, stored_articles
from tasks.warehouse.commit import MAX_PARTS, Commit
from tasks.warehouse.version_record import columns_mark

NOW = datetime(2025, 7, 1, tzinfo=UTC)
NO_ROWS = NlpRows(SENTENCES.empty_table(), ENTITIES.empty_table(), QUOTES.empty_table(), {})


def _article(n: int, source: str, outlet: str = "Daily Ledger") -> CleanArticle:
    return CleanArticle(article_id=f"id{n}", text=f"Text {n}.", content_hash=f"h{n}", source_uri=source,
                        source_format="txt", outlet_name=outlet, outlet_domain="dailyledger.example",
                        published_at=datetime(2025, 6, n, tzinfo=UTC))


def _run(out: Path, articles: list[CleanArticle], replaced: list[str], bad: list[Quarantined] = ()) -> dict:  # type: ignore[assignment, type-arg]
    """One run as the flow does it: lock, open, skip articles already there, merge, aggregate, commit."""
    registry = Registry([Outlet(domain="dailyledger.example", name="The Daily Ledger", aliases=("Daily Ledger",))])
    with storage.writer_lock(out):
        base = storage.open_for_writing(out)
        stamp = RunStamp(NOW, "test", storage.next_version(base))
        commit = Commit(base, stamp.warehouse_version)
        run = RunOutput(commit, stamp, files=replaced, stored=stored_articles(base, replaced))
        run.set_aside(bad)
        run.add(run.take_new(articles), NO_ROWS)
        processed = [manifest.InputFile(p, 1, 1, "sha") for p in replaced]
        aggregate(merge(run, processed, replaced, DEFAULT_MAX_BYTES), registry)
        snapshot = commit.publish()
    return {name: snapshot.num_rows(name) for name in TABLES}


def _files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and not p.is_symlink()]


def test_every_schema_column_is_described() -> None:
    for schema in TABLES.values():
        for field in schema:
            assert field.metadata and field.metadata[b"description"], field.name
    assert "| `article_id` |" in data_dictionary()


def test_a_commit_shows_every_table_at_once_through_plain_paths(tmp_path: Path) -> None:
    assert storage.current(tmp_path).version is None
    _run(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    for name in TABLES:  # pandas reads DIR/<table> like any Parquet folder (a month folder: a column)
        frame = pd.read_parquet(tmp_path / name)
        assert list(frame.columns) == TABLES[name].names + (["month"] if name in partitions.PARTITIONED else [])
    assert pd.read_parquet(tmp_path / "articles")["article_id"].tolist() == ["id1"]
    with storage.snapshot(tmp_path) as snap:  # a reader that pinned the version before the next commit
        _run(tmp_path, [_article(2, "/in/b.txt")], ["/in/b.txt"])
        assert pd.read_parquet(snap.table_path("articles"))["article_id"].tolist() == ["id1"]  # still the old one
    assert sorted(pd.read_parquet(tmp_path / "articles")["article_id"]) == ["id1", "id2"]


def test_a_failed_commit_changes_nothing_and_the_next_writer_cleans_up(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _run(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    before = storage.current(tmp_path)
    attempt = Commit(storage.open_for_writing(tmp_path))
    attempt.write("articles", pa.Table.from_pylist([], schema=TABLES["articles"]))
    with pytest.raises((pa.ArrowInvalid, KeyError, ValueError)):
        attempt.write("outlets", pa.table({"outlet_id": [None]}))  # violates the schema
    assert storage.current(tmp_path) == before
    assert storage.read_table(tmp_path, "articles")["article_id"].to_pylist() == ["id1"]
    with caplog.at_level(logging.WARNING, logger="tasks.warehouse.publish"):
        storage.open_for_writing(tmp_path)
    assert not Path(attempt.path).exists()
    [warning] = [r.getMessage() for r in caplog.records if attempt.version in r.getMessage()]
    assert "failed" in warning and "killed run" not in warning  # this run failed: the log must not say killed


def test_a_part_without_a_declared_column_is_given_it_unless_its_version_marked_the_columns(tmp_path: Path) -> None:
    _run(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    state = tmp_path / storage.STATE_DIR / storage.CURRENT_FILE
    record = json.loads(state.read_text(encoding="utf-8"))
    assert record["columns"] == {name: columns_mark(name) for name in TABLES}

    def strip() -> None:  # the outlets' part as a version before ``mean_tone`` was declared wrote it
        [part] = (tmp_path / "outlets").glob("*.parquet")
        pq.write_table(pq.read_table(part).drop_columns(["mean_tone"]), part)

    def carry() -> list[str]:  # a commit carrying every table over; the outlets' columns after it
        with storage.writer_lock(tmp_path):
            Commit(storage.open_for_writing(tmp_path)).publish()
        return pq.read_table(tmp_path / "outlets").column_names

    strip()
    state.write_text(json.dumps({k: v for k, v in record.items() if k != "columns"}), encoding="utf-8")
    assert carry() == TABLES["outlets"].names  # no mark: the part's columns are read, and it is written again
    strip()
    assert "mean_tone" not in carry()  # marked: its parts are carried without reading their footers


def test_file_count_stays_bounded_over_hundreds_of_commits(tmp_path: Path) -> None:
    base = storage.open_for_writing(tmp_path)
    counts = []
    for n in range(200):  # a small append to one table every commit, the rest carried over unchanged
        commit_ = Commit(base)
        commit_.keep("articles")
        commit_.keep("inputs")
        _add_article(commit_, n)
        base = commit_.publish()
        counts.append(len(_files(tmp_path)))
    assert storage.read_table(tmp_path, "articles").num_rows == 200
    assert len(base.parts("articles")) <= MAX_PARTS
    bound = len(TABLES) * (MAX_PARTS + 1) + 4  # + the DuckDB file, CURRENT and two locks
    assert max(counts) <= bound and max(counts[100:]) <= max(counts[:100])  # flat: not growing with the runs


def _row(n: int) -> dict:  # type: ignore[type-arg]
    return {"article_id": f"id{n}", "outlet_id": "o", "text": "t", "word_count": 1, "sentence_count": 0,
            "source_uri": f"/in/{n}.txt", "source_format": "txt", "content_hash": "h", "story_id": "s",
            "ingested_at": NOW, "pipeline_version": "test"}


def _add_article(commit: Commit, n: int) -> None:
    """Article ``n`` and the manifest row of the input it came from, as a run writes them."""
    commit.write("articles", pa.Table.from_pylist([_row(n)], schema=TABLES["articles"]))
    commit.write("inputs", pa.Table.from_pylist([{
        "source_file": f"/in/{n}.txt", "content_hash": "sha", "size_bytes": 1, "mtime_ns": 1, "articles": 1,
        "quarantined": 0, "version": commit.version, "processed_at": NOW}], schema=TABLES["inputs"]))


def test_a_second_writer_waits_for_the_lock(tmp_path: Path) -> None:
    events: list[str] = []

    def second() -> None:
        with storage.writer_lock(tmp_path):
            events.append("second has the lock")

    with storage.writer_lock(tmp_path):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        events.append("first releases")
    thread.join(timeout=10)
    assert events == ["first releases", "second has the lock"]


def test_a_folder_of_other_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "data.parquet").write_bytes(b"")
    with pytest.raises(storage.WarehouseError, match="is in the way"):
        storage.open_for_writing(tmp_path)


def test_values_from_the_data_never_become_paths(tmp_path: Path) -> None:
    out = tmp_path / "wh"
    hostile = CleanArticle(article_id="../../escape", text="Text.", content_hash="../h", source_uri="/in/../x.txt",
                           source_format="txt", outlet_name="../../../etc/passwd", outlet_domain="..",
                           url="file:///etc/passwd", section="../../s")
    _run(out, [hostile], ["/in/../x.txt"])
    assert [p for p in tmp_path.rglob("*") if not p.is_relative_to(out)] == []
    names = {p.name for p in _files(out)}
    assert all(n.startswith("part-") or n in {storage.DUCKDB_FILE, storage.CURRENT_FILE, "publish.lock", "lock"}
               for n in names), names


PATTERN_NAMES = ["wh[1]", "wh1", "wh?", "wh*", "wh{a,b}", "wha", "it's", "wh[[]x"]


def test_warehouse_paths_are_never_patterns(tmp_path: Path) -> None:
    """Side by side, so a name read as a glob (``wh?``, ``wh*``, ``wh[1]``) would match its neighbours."""
    for n, name in enumerate(PATTERN_NAMES):
        commit = Commit(storage.open_for_writing(tmp_path / name))
        _add_article(commit, n)
        with sql.connect(articles=sql.Parquet(commit.urls("articles"), ARTICLES)) as con:  # as the aggregate reads
            assert con.sql("select article_id from articles").fetchall() == [(f"id{n}",)], name
        commit.publish()
    for n, name in enumerate(PATTERN_NAMES):
        out = tmp_path / name
        assert storage.read_table(out, "articles")["article_id"].to_pylist() == [f"id{n}"], name
        assert pd.read_parquet(out / "articles")["article_id"].tolist() == [f"id{n}"], name
        with storage.snapshot(out) as snap:
            assert pd.read_parquet(snap.table_path("articles"))["article_id"].tolist() == [f"id{n}"], name
        cli = [shutil.which("duckdb", path=str(Path(sys.executable).parent)), "-readonly", "-csv", "-noheader"]
        done = subprocess.run([*cli, storage.DUCKDB_FILE, "-c", "select article_id from articles; "
                               "select count(*) from entities"], cwd=out, capture_output=True, text=True, check=True)
        assert done.stdout.split() == [f"id{n}", "0"], name  # as the README opens it, from the warehouse folder


def test_rerun_replaces_rows_of_the_inputs_it_read(tmp_path: Path) -> None:
    _run(tmp_path, [_article(1, "/in/a.txt"), _article(2, "/in/b.jsonl#1")], ["/in/a.txt", "/in/b.jsonl"],
         [Quarantined(source_uri="/in/b.jsonl#2", reason="invalid_json", detail="x")])
    counts = _run(tmp_path, [_article(3, "/in/b.jsonl#1")], ["/in/b.jsonl"])  # b.jsonl changed
    assert counts["articles"] == 2 and counts["quarantine"] == 0 and counts["inputs"] == 2
    assert sorted(storage.read_table(tmp_path, "articles")["article_id"].to_pylist()) == ["id1", "id3"]
    [outlet] = storage.read_table(tmp_path, "outlets").to_pylist()
    assert outlet["article_count"] == 2 and outlet["name"] == "The Daily Ledger" and outlet["in_registry"]
    assert outlet["names_seen"] == ["Daily Ledger"]
    assert outlet["first_published_at"] == datetime(2025, 6, 1, tzinfo=UTC)


def test_same_article_from_another_input_is_quarantined_as_duplicate(tmp_path: Path) -> None:
    _run(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    counts = _run(tmp_path, [_article(1, "/in/copy.txt")], ["/in/copy.txt"])
    assert counts["articles"] == 1
    [q] = storage.read_table(tmp_path, "quarantine").to_pylist()
    assert (q["source_uri"], q["reason"]) == ("/in/copy.txt", "duplicate")
    assert "in the warehouse from /in/a.txt" in q["detail"]


@pytest.mark.parametrize(("uri", "file"), [("a.jsonl#12", "a.jsonl"), ("dir#1/a.txt", "dir#1/a.txt"), ("a", "a")])
def test_source_file(uri: str, file: str) -> None:
    assert storage.source_file(uri) == file


def test_io_tasks_retry_os_errors_only() -> None:
    from prefect.states import Failed

    from tasks.warehouse import transient_io_error

    assert transient_io_error(None, None, Failed(data=OSError("stale NFS handle")))
    assert not transient_io_error(None, None, Failed(data=storage.WarehouseError("not a warehouse")))


def test_a_warehouse_of_linked_tables_moves_to_plain_folders(tmp_path: Path) -> None:
    """newslake 0.4 wrote DIR/<table> as links through .newslake/current, a link to the version's folder."""
    _run(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    state = tmp_path / storage.STATE_DIR
    version = storage.current(tmp_path).version
    assert version
    folder = state / "versions" / version
    folder.mkdir(parents=True)
    for name in [*TABLES, storage.DUCKDB_FILE]:  # the old layout, made by hand
        (tmp_path / name).rename(folder / name)
        (tmp_path / name).symlink_to(Path(storage.STATE_DIR) / "current" / name)
    (state / "current").symlink_to(Path("versions") / version)
    (state / storage.CURRENT_FILE).unlink()
    assert storage.current(tmp_path).version is None  # this code cannot read it as it is
    with storage.writer_lock(tmp_path):
        assert storage.open_for_writing(tmp_path).version == version
    assert not (tmp_path / "articles").is_symlink() and not (state / "current").exists()
    assert pd.read_parquet(tmp_path / "articles")["article_id"].tolist() == ["id1"]
    _run(tmp_path, [_article(2, "/in/b.txt")], ["/in/b.txt"])
    assert sorted(pd.read_parquet(tmp_path / "articles")["article_id"]) == ["id1", "id2"]


def test_a_publication_cut_short_is_finished_by_the_next_writer(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A run killed between two table swaps: readers of a snapshot still see the last commit whole, the next writer
    swaps the rest in and makes the version current."""
    from tasks.warehouse import publish

    _run(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    before = storage.current(tmp_path)
    swapped: list[Path] = []
    real = publish.exchange

    def killed_after_one(new: Path, live: Path) -> None:
        if swapped:
            raise KeyboardInterrupt  # as a SIGINT would land: nothing after it runs
        real(new, live)
        swapped.append(live)

    monkeypatch.setattr(publish, "exchange", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path, [_article(2, "/in/b.txt")], ["/in/b.txt"])
    assert len(swapped) == 1 and storage.current(tmp_path) == before
    with storage.snapshot(tmp_path) as snap:  # the last commit, whole, though one folder holds the new version
        assert snap.read("articles")["article_id"].to_pylist() == ["id1"]
    monkeypatch.undo()
    with storage.writer_lock(tmp_path):
        after = storage.open_for_writing(tmp_path)
    assert after.sequence == before.sequence + 1
    assert sorted(pd.read_parquet(tmp_path / "articles")["article_id"]) == ["id1", "id2"]
    assert storage.read_table(tmp_path, "inputs").num_rows == 2


def test_without_renameat2_tables_are_swapped_by_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.warehouse import publish

    monkeypatch.setattr(publish, "_libc", object())  # a C library without renameat2 (musl before 1.2.4, say)
    _run(tmp_path, [_article(1, "/in/a.txt")], ["/in/a.txt"])
    _run(tmp_path, [_article(2, "/in/b.txt")], ["/in/b.txt"])
    assert sorted(pd.read_parquet(tmp_path / "articles")["article_id"]) == ["id1", "id2"]
    assert not any((tmp_path / storage.STATE_DIR).glob("versions/*"))


def test_a_scan_of_some_articles_keeps_their_rows_in_every_part(tmp_path: Path) -> None:
    """The rows of the chosen articles (or of all but those left out), from parts that hold all, some or none of
    them, in batches of any size."""
    parts = []
    for i, ids in enumerate([["a", "b", "a"], ["c", "c"], ["a", "c", "b"] * 1000]):  # 3,000 rows: several batches
        path = tmp_path / f"part-{i}.parquet"
        pq.write_table(pa.table({"article_id": ids, "sentence_index": list(range(len(ids)))}), path)
        parts.append(str(path))
    rows = pa.Table.from_batches(list(storage.scan(str(tmp_path), "sentences", parts, ["article_id", "sentence_index"],
                                                   without={"c"})))
    assert rows.num_rows == 3 + 0 + 2000 and set(rows["article_id"].to_pylist()) == {"a", "b"}
    # each kept row with its own values, in order, across the third part's batches
    assert rows["sentence_index"].to_pylist()[3:] == [i for i in range(3000) if i % 3 in (0, 2)]
    chosen = storage.scan(str(tmp_path), "sentences", parts, ["article_id", "sentence_index"], only={"a", "b"})
    assert pa.Table.from_batches(list(chosen)).equals(rows)
    every = storage.scan(str(tmp_path), "sentences", parts, ["article_id"], without=set())
    assert sum(b.num_rows for b in every) == 3 + 2 + 3000
    assert sum(b.num_rows for b in storage.scan(str(tmp_path), "sentences", parts, ["article_id"], only=set())) == 0


def test_a_writer_of_many_months_keeps_few_parts_open_and_loses_no_row(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Months written one after another (a run writing hundreds again): past MAX_OPEN, the part written least
    recently is finished, and a later row of its month goes to a new part of that month."""
    import fsspec

    from tasks.warehouse import parts

    monkeypatch.setattr(parts, "MAX_OPEN", 2)
    monkeypatch.setattr(parts, "ROW_GROUP_BYTES", 1)  # each row written out as it comes
    schema = TABLES["entity_daily"]
    writer = parts.PartWriter(fsspec.filesystem("file"), None, True, str(tmp_path / "daily"), "entity_daily",
                              row_months=lambda table: partitions.months(table["day"]))
    days = [date(2024, month, 1) for month in range(1, 6)] + [date(2024, 1, 2)]  # January again at the end
    for day in days:
        writer.write(pa.Table.from_pylist([{"entity_id": "e", "outlet_id": "o", "day": day, "mentions": 1,
                                            "articles": 1, "mentions_excl_duplicates": 1,
                                            "articles_excl_duplicates": 1}], schema=schema))
        assert sum(part.writer is not None for part in writer._parts.values()) <= 2
    writer.close()
    back = pq.read_table(tmp_path / "daily", schema=schema)  # the month folders read as the table's own columns
    assert sorted(back["day"].to_pylist()) == sorted(days)
    assert len(list((tmp_path / "daily" / "month=2024-01").glob("*.parquet"))) == 2


def test_a_rows_month_is_its_utc_year_and_month_and_undated_without_a_date() -> None:
    """Each distinct month is formatted once and given back to its rows: rows out of order, several per month, a
    UTC timestamp just before midnight, and nulls, in dates, timestamps and chunks."""
    from datetime import UTC, date, datetime

    days = [date(2024, 5, 31), None, date(1999, 12, 1), date(2024, 5, 1), date(2024, 6, 1), None]
    expected = ["2024-05", partitions.UNDATED, "1999-12", "2024-05", "2024-06", partitions.UNDATED]
    assert partitions.months(pa.array(days, pa.date32())).to_pylist() == expected
    stamps = [datetime(2024, 5, 31, 23, 59, tzinfo=UTC), None, datetime(2024, 6, 1, 0, 0, tzinfo=UTC)]
    assert partitions.months(pa.array(stamps, pa.timestamp("us", tz="UTC"))).to_pylist() == [
        "2024-05", partitions.UNDATED, "2024-06"]
    chunked = pa.chunked_array([pa.array(days[:3], pa.date32()), pa.array(days[3:], pa.date32())])
    assert partitions.months(chunked).to_pylist() == expected
    assert partitions.months(pa.array(["2024-05", None])).to_pylist() == ["2024-05", partitions.UNDATED]
