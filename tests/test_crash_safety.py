"""Crash safety and concurrency with real runs: `newslake run` in a subprocess is killed (SIGKILL) at many points,
every table must then read as the last committed state, and the next run must complete the work; two runs at once
on one warehouse are serialised by its lock; a changed input replaces its rows."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.news_pipeline import news_pipeline
from tasks.schemas import TABLES
from tasks.warehouse import storage
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.usefixtures("prefect_harness")

KILL_POINTS = 24
REGISTRY = str(ROOT / "data" / "outlets.csv")  # what the CLI passes by default
VOLATILE = {"ingested_at", "processed_at", "version"}  # stamps of the run that wrote a row, not its content
# The CLI with newslake's commit steps logged, so kills can land between them too.
RUN_CLI = ("import logging, sys; logging.getLogger('tasks').setLevel(logging.DEBUG); "
           "from flows import cli; sys.exit(cli.main(sys.argv[1:]))")


def _state(out: Path) -> dict[str, list[str]]:
    """Every table's rows (without run stamps), read the way analysts read tables of one version: a snapshot."""
    state = {}
    with storage.snapshot(out) as snap:
        for name in TABLES:
            table = pq.read_table(snap.table_path(name))
            rows = table.drop_columns([c for c in table.column_names if c in VOLATILE]).to_pylist()
            state[name] = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)
    return state


@pytest.fixture(scope="module")
def api_env() -> Iterator[dict[str, str]]:
    """Environment for subprocess runs: the session's Prefect test server, INFO logs, unbuffered output."""
    from prefect.settings import PREFECT_API_URL

    yield {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_LOGGING_LEVEL": "INFO",
           "PYTHONUNBUFFERED": "1"}


def _cli(args: list[str]) -> list[str]:
    return [sys.executable, "-c", RUN_CLI, "run", *args]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, api_env: dict[str, str]) -> dict[str, object]:
    """A committed warehouse of the two seeds, an input folder that has since grown (and one seed changed), and the
    state and output lines of one uninterrupted run over it."""
    root = tmp_path_factory.mktemp("crash")
    inputs, base = root / "in", root / "base"
    inputs.mkdir()
    for path in [*(SAMPLES / "txt").glob("*.txt")]:
        shutil.copy(path, inputs / path.name)
    news_pipeline(inputs=[str(inputs)], out=str(base), outlets_registry=REGISTRY)
    for path in [*(SAMPLES / "jsonl").iterdir(), *(SAMPLES / "html").iterdir()]:
        shutil.copy(path, inputs / path.name)
    changed = next(inputs.glob("foxnews*.txt"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA correction was appended to this story.\n",
                       encoding="utf-8")
    reference = root / "reference"
    shutil.copytree(base, reference, symlinks=True)
    done = subprocess.run(_cli([str(inputs), "--out", str(reference), "--batch-size", "1"]), env=api_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return {"inputs": inputs, "base": base, "lines": len(lines), "before": _state(base),
            "after": _state(reference)}


def _run_until_line(command: list[str], env: dict[str, str], line_number: int) -> bool:
    """Run ``command`` and SIGKILL it as soon as it has printed ``line_number`` lines; True if it was killed."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:
        seen += bool(line.strip())
        if seen >= line_number:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=300)
    return proc.returncode == -signal.SIGKILL


def test_a_run_killed_at_any_point_leaves_the_last_commit_and_the_next_run_completes(
        scenario: dict[str, object], api_env: dict[str, str], tmp_path: Path) -> None:
    inputs, base, total = Path(str(scenario["inputs"])), Path(str(scenario["base"])), int(str(scenario["lines"]))
    assert scenario["before"] != scenario["after"]
    points = sorted({max(1, round(total * i / KILL_POINTS)) for i in range(KILL_POINTS)})
    outcomes = []
    for point in points:
        out = tmp_path / f"killed-at-{point}"
        shutil.copytree(base, out, symlinks=True)
        killed = _run_until_line(_cli([str(inputs), "--out", str(out), "--batch-size", "1"]), api_env, point)
        state = _state(out)  # every table readable, all from one commit
        assert state in (scenario["before"], scenario["after"]), f"killed after line {point}: a mixed state"
        with storage.open_duckdb(out) as con:
            assert con.sql("select count(*) from articles").fetchone() == (pq.read_table(out / "articles").num_rows,)
        outcomes.append((point, killed, "old" if state == scenario["before"] else "new"))
        news_pipeline(inputs=[str(inputs)], out=str(out), batch_size=1, outlets_registry=REGISTRY)  # completes it
        assert _state(out) == scenario["after"], f"re-run after a kill at line {point}"
        shutil.rmtree(out)
    killed_points = [o for o in outcomes if o[1]]
    print("kill points (line, killed, state seen):", outcomes)
    assert len(killed_points) >= 20
    assert {state for _, _, state in killed_points} == {"old", "new"}  # kills landed before and after the commit


def test_two_runs_at_once_are_serialised_by_the_lock(tmp_path: Path, api_env: dict[str, str]) -> None:
    first, second, out = tmp_path / "a", tmp_path / "b", tmp_path / "w"
    first.mkdir()
    second.mkdir()
    for path in (SAMPLES / "txt").glob("*.txt"):
        shutil.copy(path, first / path.name)
    for path in (SAMPLES / "jsonl").iterdir():
        shutil.copy(path, second / path.name)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with storage.writer_lock(out):  # a third writer holds the lock until both runs are waiting for it
        procs = [subprocess.Popen(_cli([str(folder), "--out", str(out)]), env=api_env, stdout=log.open("w"),
                                  stderr=subprocess.STDOUT) for folder, log in zip((first, second), logs, strict=True)]
        deadline = time.monotonic() + 180
        while not all("waiting for it to finish" in log.read_text() for log in logs):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [f.read_text() for f in logs]
            time.sleep(0.5)
    assert [proc.wait(timeout=300) for proc in procs] == [0, 0], [log.read_text() for log in logs]
    assert storage.current(out).sequence == 2  # two commits, one after the other, the second on top of the first
    articles = pq.read_table(out / "articles").to_pandas()
    assert articles.article_id.is_unique and len(articles) == 2 + 6
    assert {Path(u.split("#")[0]).parent.name for u in articles.source_uri} == {"a", "b"}


def test_a_changed_input_replaces_its_rows(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    out = inputs / "warehouse"  # inside the input folder: its own files are never read as inputs
    inputs.mkdir()
    feed = inputs / "feed.jsonl"
    record = {"id": "r1", "source": "Harbor Tribune", "title": "Ferry line opens",
              "text": "The harbour authority opened the ferry line to Tallinn on Monday, officials said."}
    feed.write_text(json.dumps(record) + "\n", encoding="utf-8")
    news_pipeline(inputs=[str(inputs)], out=str(out))
    record["text"] += " The mayor of Helsinki, Juhana Vartiainen, rode the first boat."
    feed.write_text(json.dumps(record) + "\n", encoding="utf-8")
    summary = news_pipeline(inputs=[str(inputs)], out=str(out))
    assert summary.files_processed == 1 and summary.added["articles"] == 0 and summary.quarantined == {}
    [text] = pq.read_table(out / "articles")["text"].to_pylist()
    assert "Vartiainen" in text
    entities = pq.read_table(out / "entities").to_pandas()
    assert "Juhana Vartiainen" in set(entities.text) and entities.article_id.nunique() == 1
    [row] = pq.read_table(out / "inputs").to_pylist()
    assert row["source_file"] == str(feed) and row["articles"] == 1
