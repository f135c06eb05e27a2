"""What a run adding articles saves in the article marks (duplicate fingerprints of every article, stories): every
month clustered and every signature made from its text, as ``--rebuild`` does; the latest month clustered (the
others' story ids read back) with signatures still made from text, as the version before stored them did; and the
latest month with each article's stored signature (``articles.minhash``) and only that month's texts read, as a
run adding articles to that month does now. All in this process, in turn, twice each, on a hard-linked copy of the
warehouse (the marks are read as a run reads them, through a commit that is never published).

    nice .venv/bin/python -m bench.article_marks --base DIR

``--base`` is a warehouse of more than ``stories.MAX_BLOCK`` articles (else every run clusters all of them),
written by a version that stores signatures."""

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

from tasks.aggregate import stories  # noqa: E402
from tasks.aggregate.articles import article_marks  # noqa: E402
from tasks.aggregate.outlets import Registry  # noqa: E402
from tasks.warehouse import storage  # noqa: E402
from tasks.warehouse.commit import Commit  # noqa: E402
from tasks.warehouse.run import Merged  # noqa: E402

REGISTRY = Path(__file__).resolve().parents[1] / "data" / "outlets.csv"
Result = tuple[dict[str, tuple[str, str]], dict[str, str]]  # copies, story ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True)
    args = parser.parse_args()
    registry = Registry.from_csv(REGISTRY)
    with tempfile.TemporaryDirectory(prefix="article-marks-") as tmp:
        copy = Path(tmp) / "w"
        shutil.copytree(args.base, copy, copy_function=os.link)
        snap = storage.current(copy)
        merged = Merged(snap, Commit(snap), kept=None)
        dates = snap.read("articles", ["published_at"])["published_at"].to_pylist()
        without = snap.read("articles", ["minhash"])["minhash"].null_count
        latest = max(stories.month_of(p) for p in dates)
        kept = {}
        for batch in snap.batches("articles", ["article_id", "published_at", "story_id"]):
            for a, p, story in zip(*batch.to_pydict().values(), strict=True):
                if stories.month_of(p) != latest:
                    kept[a] = story

        def marks(months: set[tuple[int, int]] | None, signatures: bool) -> Result:
            found = article_marks(merged, registry, months, stored=signatures)
            return found.copies, found.stories | (kept if months else {})

        ways: dict[str, Callable[[], Result]] = {
            "rebuild": lambda: marks(None, False),
            "latest month, signatures from text": lambda: marks({latest}, False),
            "latest month, stored signatures": lambda: marks({latest}, True),
        }
        times: dict[str, list[float]] = {name: [] for name in ways}
        results = {}
        for _ in range(2):
            for name, way in ways.items():
                started = time.perf_counter()
                results[name] = way()
                times[name].append(time.perf_counter() - started)
    mean = {name: sum(t) / len(t) for name, t in times.items()}
    print(f"{len(dates):,} articles ({len(dates) - without:,} with a stored signature); article marks:")
    for name, seconds in mean.items():
        print(f"  {name:<38} {seconds:6.1f} s  {seconds / mean['rebuild']:.2f}x")
    print(f"same marks: {all(r == results['rebuild'] for r in results.values())}")


if __name__ == "__main__":
    main()
