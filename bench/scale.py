"""Archive scale: what a scheduled run adding 100 articles costs on warehouses of growing size, and which files a
dashboard query for one week opens.

    nice .venv/bin/python -m bench.scale --base DIR [--copies 1,8] [--corpora ../shared/corpora] [--work /tmp/scale]

``--base`` is a warehouse the real flow wrote from AllSides articles (``newslake run articles.jsonl --out DIR``;
12,800 articles take 15 to 50 minutes). A size of k copies is that warehouse's detail rows (articles, sentences,
entities, quotes) written k times, copy i with new article ids and its dates shifted by i years: real NLP output,
replicated, since the NLP's cost is not what is measured. The copies' derived tables are then made by ``newslake run
--rebuild`` (a run carries over the months it does not touch, so it would not derive them), timed as well. Each
warehouse is then given 100 articles it does not hold (AllSides story roundups, dated in the week before the run)
by the real command line in a child process, with NLP in a thread of that process (``--workers 1``), so its
peak RSS is the whole run's. Printed per size: the run's seconds, the aggregate stage's, the peak RSS, and the
stored months whose ``entities`` the run wrote again (where a stored mention's entity, name or label changed); then,
on the largest, the files DuckDB's ``EXPLAIN ANALYZE`` reports for a one-week query with and without the month
filter the dashboard adds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tasks.schemas import TABLES
from tasks.warehouse import partitions, storage
from tasks.warehouse.commit import Commit

DETAIL = ("articles", "sentences", "entities", "quotes")
RENAMED = {"articles": ("article_id", "duplicate_of", "story_id", "content_hash"), "quotes": ("article_id",),
           "sentences": ("article_id",), "entities": ("article_id",)}
ADDED = 100


def replicate(base: Path, target: Path, copies: int) -> int:
    """``target``: a copy of ``base`` whose detail tables hold ``copies`` copies of its rows; its article count."""
    shutil.copytree(base, target)
    with storage.snapshot(target) as snap:
        commit = Commit(snap)
        for name in DETAIL:
            with commit.writer(name) as writer:
                for i in range(copies):
                    for batch in snap.batches(name):
                        writer.write(_copy(pa.table(batch), name, i))
        for name in partitions.BY_COLUMN.keys() - DETAIL:  # written before it was partitioned, it cannot be kept
            if None in snap.parts_by_month(name):  # as it is: the rebuild below derives it again
                commit.write(name, TABLES[name].empty_table())
        commit.publish()
    with storage.snapshot(target) as snap:
        return snap.num_rows("articles")


def _copy(table: pa.Table, name: str, i: int) -> pa.Table:
    if i == 0:
        return table
    for column in RENAMED[name]:
        renamed = pc.binary_join_element_wise(table.column(column), f"~{i}", "")  # null stays null
        table = table.set_column(table.schema.get_field_index(column), column, renamed)
    if name == "articles":
        shifted = pc.add(table.column("published_at"), pa.scalar(timedelta(days=366 * i)))
        table = table.set_column(table.schema.get_field_index("published_at"), "published_at", shifted)
    return table.cast(TABLES[name])


def new_articles(corpora: Path, path: Path) -> None:
    """100 new articles: AllSides story-roundup articles, texts the AllSides news warehouse does not hold (re-adding
    its own texts under new ids doubles its names' counts and flips their votes far more often than news does), dated
    in the week before the run, as a scheduled run's news is (a later date would be in the future, which the clean
    stage drops)."""
    with gzip.open(corpora / "allsides_story_roundups" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        lines = fh.readlines()
    rows = []
    today = datetime.now(UTC).date()
    for i, line in enumerate(random.Random(23).sample(lines, ADDED)):
        row = json.loads(line)
        row["url"] = f"{row.get('url') or 'https://example.org/'}?bench=scale"
        row["date"] = (today - timedelta(days=i % 7)).isoformat()
        rows.append(json.dumps(row))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def timed_run(out: Path, *arguments: str) -> dict[str, float]:
    """The real command line ``newslake run ARGUMENTS`` on ``out`` (inputs to add, or ``--rebuild``): seconds,
    aggregate seconds, peak RSS (MB)."""
    command = ["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, "-m", "flows.cli", "run", *arguments,
               "--out", str(out), "--workers", "1"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the run on {out} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    summary = json.loads(re.findall(r"run: (\{.*\})", done.stdout + done.stderr)[-1])
    rss = int(re.findall(r"maxrss_kb=(\d+)", done.stderr)[-1]) / 1024
    return {"seconds": summary["seconds"], "aggregate": summary["stage_seconds"]["aggregate"], "peak_mb": rss,
            "added": summary["added"]["articles"]}


def months_written(before: dict[str | None, list[str]], out: Path) -> int:
    """The months of ``entities`` in ``before`` (parts by month) whose parts the warehouse at ``out`` replaced."""
    with storage.snapshot(out) as snap:
        after = snap.parts_by_month("entities")
    def names(parts: list[str]) -> set[str]:  # a snapshot's paths lie in its own pinned folder
        return {Path(part).name for part in parts}
    return sum(1 for month, parts in before.items() if names(after.get(month, [])) != names(parts))


def files_read(out: Path, month_filter: bool) -> str:
    """The one-week query of the dashboard's speakers chart, explained: the files DuckDB scans of each table."""
    con = storage.open_duckdb(out)
    week = con.sql("select max(published_at)::date as d from articles where published_at is not null").fetchone()
    assert week is not None
    end = week[0]
    start = end - timedelta(days=6)
    months = f"and a.month between '{start:%Y-%m}' and '{end:%Y-%m}'" if month_filter else ""
    join = "using (article_id, month)" if month_filter else "using (article_id)"
    plan = con.sql(f"""explain analyze select q.speaker_name, count(*) from quotes q join articles a {join}
                       where cast(timezone('UTC', a.published_at) as date) between '{start}' and '{end}' {months}
                       group by all""").fetchall()
    con.close()
    # the plan is drawn in boxes, whose text wraps a long figure onto the next line: read it without the frames
    text = " ".join(re.sub(r"[│┌┐└┘─┬┴├┤┼]", " ", str(row[-1])) for row in plan)
    return ", ".join(re.sub(r"\s+", " ", found) for found in re.findall(
        r"Scanning Files:\s+\d+/\d+|Total Files Read:\s+\d+", text)) or "(no file counts)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--copies", default="1,8", help="sizes, as copies of the base warehouse (default 1,8)")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/newslake-scale"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    print("| warehouse (articles) | rebuild (s) | articles added | whole run (s) | aggregate stage (s) "
          "| peak RSS (MB) | stored months of entities written again |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    largest = None
    for copies in (int(c) for c in args.copies.split(",")):
        out = args.work / f"x{copies}"
        articles = replicate(args.base, out, copies)
        rebuild = timed_run(out, "--rebuild")
        new_articles(args.corpora, args.work / "new.jsonl")
        with storage.snapshot(out) as snap:
            before = snap.parts_by_month("entities")
        run = timed_run(out, str(args.work / "new.jsonl"))
        print(f"| {articles:,} | {rebuild['seconds']:.1f} | {run['added']:.0f} | {run['seconds']:.1f} | "
              f"{run['aggregate']:.1f} | {run['peak_mb']:.0f} | {months_written(before, out)} of {len(before)} |",
              flush=True)
        largest = out
    if largest is not None:
        print(f"\none week, month filter: {files_read(largest, True)}")
        print(f"one week, no month filter: {files_read(largest, False)}")


if __name__ == "__main__":
    main()
