"""Incremental runs: the full flow over N AllSides articles, then again over the unchanged inputs, then with one
input file changed; each time relative to the first run, measured in this process.

    .venv/bin/python -m bench.incremental [-n 500] [--per-file 50] [--corpora ../shared/corpora]

The articles are written as JSONL files of --per-file records (a growing inbox of exports). A warm-up run on one
small file starts Prefect's ephemeral server first, so the first run is not charged for it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time
from itertools import islice
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import pyarrow.parquet as pq

from flows.news_pipeline import news_pipeline
from tasks.schemas import TABLES

REGISTRY = str(Path(__file__).resolve().parents[1] / "data" / "outlets.csv")


def _rows(out: Path) -> dict[str, list[str]]:
    state = {}
    for name in TABLES:
        table = pq.read_table(out / name)
        table = table.drop_columns([c for c in ("ingested_at", "processed_at", "version") if c in table.column_names])
        state[name] = sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=500, help="articles (default 500)")
    parser.add_argument("--per-file", type=int, default=50, help="records per JSONL input file (default 50)")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inbox, out = Path(tmp) / "inbox", Path(tmp) / "warehouse"
        inbox.mkdir()
        with gzip.open(args.corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
            lines = list(islice(fh, args.n))
        files = []
        for start in range(0, len(lines), args.per_file):
            files.append(inbox / f"export-{start // args.per_file:04d}.jsonl")
            files[-1].write_text("".join(lines[start : start + args.per_file]), encoding="utf-8")
        warmup = Path(tmp) / "warmup.jsonl"
        warmup.write_text(lines[0], encoding="utf-8")
        news_pipeline(inputs=[str(warmup)], out=str(Path(tmp) / "warmup"), outlets_registry=REGISTRY)

        def timed(label: str) -> float:
            started = time.perf_counter()
            summary = news_pipeline(inputs=[str(inbox)], out=str(out), outlets_registry=REGISTRY)
            seconds = time.perf_counter() - started
            print(f"{label:<34} {seconds:>7.2f} s  files read {summary.files_processed:>3}, skipped "
                  f"{summary.files_unchanged:>3}; articles {summary.articles_in_run:>4}; version {summary.version}")
            return seconds

        first = timed("first run")
        state = _rows(out)
        second = timed("second run, inputs unchanged")
        same = _rows(out) == state
        record = json.loads(lines[0])
        record["content_original"] = record.get("content_original", "") + "\n\nUpdate: this story was corrected."
        files[0].write_text(json.dumps(record) + "\n" + "".join(lines[1 : args.per_file]), encoding="utf-8")
        third = timed("third run, one file changed")
        print(f"\n{len(lines)} articles in {len(files)} files")
        print(f"second / first: {second / first:.3f} ({first / second:.0f}x faster); identical row sets: {same}")
        print(f"third / first:  {third / first:.3f} (reads 1 of {len(files)} files, re-aggregates the warehouse)")


if __name__ == "__main__":
    main()
