"""What clustering only the months a run touched saves: the article marks of a warehouse (duplicate fingerprints of
every article, stories) with every month clustered, against the latest month clustered and the others' story ids
read back, as a run adding articles to that month does. Both in this process, alternately, twice each.

    nice .venv/bin/python -m bench.story_months --base DIR

``--base`` is a warehouse of more than ``stories.MAX_BLOCK`` articles (else every run clusters all of them)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flows.cli import set_environment_defaults

set_environment_defaults()  # before pyarrow is imported

from tasks.aggregate import stories  # noqa: E402
from tasks.aggregate.articles import ARTICLE_MARKS, article_marks  # noqa: E402
from tasks.aggregate.outlets import Registry  # noqa: E402
from tasks.warehouse import storage  # noqa: E402

REGISTRY = Path(__file__).resolve().parents[1] / "data" / "outlets.csv"
Marks = tuple[dict[str, tuple[str, str]], dict[str, str]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True)
    args = parser.parse_args()
    registry = Registry.from_csv(REGISTRY)
    with storage.snapshot(args.base) as snap:
        dates = snap.read("articles", ["published_at"])["published_at"].to_pylist()
        latest = max(stories.month_of(p) for p in dates)

        def every_month() -> Marks:
            return article_marks(snap.batches("articles", ARTICLE_MARKS), registry, None)

        def latest_month() -> Marks:
            kept = {}
            for batch in snap.batches("articles", ["article_id", "published_at", "story_id"]):
                for a, p, story in zip(*batch.to_pydict().values(), strict=True):
                    if stories.month_of(p) != latest:
                        kept[a] = story
            copies, assigned = article_marks(snap.batches("articles", ARTICLE_MARKS), registry, {latest})
            return copies, assigned | kept

        times: dict[str, list[float]] = {"every month": [], "latest month": []}
        results = {}
        for order in ((every_month, latest_month), (latest_month, every_month)):
            for run in order:
                name = run.__name__.replace("_", " ")
                started = time.perf_counter()
                results[name] = run()
                times[name].append(time.perf_counter() - started)
    mean = {name: sum(t) / len(t) for name, t in times.items()}
    print(f"{len(dates):,} articles; article marks with every month's stories clustered {mean['every month']:.1f} s, "
          f"with the latest month's only {mean['latest month']:.1f} s "
          f"({mean['latest month'] / mean['every month']:.2f}x); same marks: "
          f"{results['every month'] == results['latest month']}")


if __name__ == "__main__":
    main()
