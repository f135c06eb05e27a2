"""What finding a run's copies costs: every stored signature read into one in-memory LSH index (``find_copies``
over all articles, as runs did until this round), against the run's articles looked up among the stored ones by
their LSH bands in DuckDB and their groups found again (``copies.regroup``, as a run does now). The run is the
latest month's articles, read again (as a run replacing them would: they leave their groups and come back). Both
ways in this process, in turn, twice each, on a hard-linked copy of the warehouse (read through a commit that is
never published); then whether they agree: the same copy marks for every article the lookup regrouped, and the
stored marks, which it keeps, for all the others.

    nice .venv/bin/python -m bench.article_marks --base DIR

``--base`` is a warehouse every article of which has its signature (``articles.minhash``), written by a version
that stores them, and by a run or rebuild of this version (the stored marks are compared with all of them)."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flows.cli import set_environment_defaults

set_environment_defaults()  # before pyarrow is imported

from tasks.aggregate import copies, duplicates  # noqa: E402
from tasks.warehouse import partitions, storage  # noqa: E402
from tasks.warehouse.commit import Commit  # noqa: E402
from tasks.warehouse.run import Merged  # noqa: E402

Copies = dict[str, tuple[str, str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="article-marks-") as tmp:
        copy = Path(tmp) / "w"
        shutil.copytree(args.base, copy, copy_function=os.link)
        snap = storage.current(copy)
        stored = snap.read("articles", ["article_id", "content_hash", "published_at", "ingested_at", "minhash",
                                        "duplicate_of", "duplicate_kind"])
        months = partitions.months(stored["published_at"]).to_pylist()
        latest = max(m for m in months if m != partitions.UNDATED)
        rows = list(zip(*stored.to_pydict().values(), strict=True))
        marks = {a: (of, kind) for a, _, _, _, _, of, kind in rows}
        commit = Commit(snap)
        commit.article_months.hold(stored["article_id"], partitions.months(stored["published_at"]))
        again = frozenset(a for (a, *_), m in zip(rows, months, strict=True) if m == latest)
        merged = Merged(snap, commit, removed=again, removed_from=frozenset([latest]))
        run = [duplicates.fingerprint(duplicates.Doc(a, "", h, p, i), m)
               for (a, h, p, i, m, _, _), month in zip(rows, months, strict=True) if month == latest]

        def every_signature() -> tuple[Copies, frozenset[str] | None]:
            prints = [duplicates.fingerprint(duplicates.Doc(a, "", h, p, i), m)
                      for batch in snap.batches("articles", ["article_id", "content_hash", "published_at",
                                                             "ingested_at", "minhash"])
                      for a, h, p, i, m in zip(*batch.to_pydict().values(), strict=True)]
            return duplicates.find_copies(prints), None

        def lookup() -> tuple[Copies, frozenset[str] | None]:
            regrouped = copies.regroup(merged, run)
            return regrouped.copies, regrouped.members

        ways: dict[str, Callable[[], tuple[Copies, frozenset[str] | None]]] = {
            "every signature in one LSH index": every_signature, "the run's bands looked up": lookup}
        times: dict[str, list[float]] = {name: [] for name in ways}
        results = {}
        for _ in range(2):
            for name, way in ways.items():
                started = time.perf_counter()
                results[name] = way()
                times[name].append(time.perf_counter() - started)
    full, _ = results["every signature in one LSH index"]
    found, members = results["the run's bands looked up"]
    assert members is not None
    agree = all(found.get(a, (None, None)) == full.get(a, (None, None)) for a in members) and all(
        marks[a] == full.get(a, (None, None)) for a in marks if a not in members)
    mean = {name: sum(t) / len(t) for name, t in times.items()}
    first = mean["every signature in one LSH index"]
    print(f"{len(rows):,} articles, {len(run):,} of them in {latest}, read again; {len(members):,} regrouped:")
    for name, seconds in mean.items():
        print(f"  {name:<34} {seconds:6.2f} s  {seconds / first:.2f}x")
    print(f"same copy marks: {agree}")


if __name__ == "__main__":
    main()
