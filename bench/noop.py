"""A run with nothing new, as a user runs it: ``newslake run data/samples --out DIR`` in a process of its own, first
into an empty warehouse (the baseline: Prefect's server starts, every stage runs), then again over the same
unchanged inputs, which the command line settles from the manifest without starting Prefect.

    .venv/bin/python -m bench.noop [--repeat 5]

Prints the no-op run's wall time (the median of --repeat runs), the full run's, and their ratio. The issue's goal:
under 3 s (it took 24.7 s when every run started Prefect).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
GOAL_SECONDS = 3.0


def newslake_run(out: Path) -> tuple[float, str]:
    """Wall time and output of one ``newslake run`` over the samples, as a process of its own."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(SAMPLES), "--out", str(out), "--quiet"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="no-op runs timed (default 5; the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        full, said = newslake_run(Path(tmp) / "w")
        print(f"full run (empty warehouse, Prefect started): {full:.1f} s  [{said.splitlines()[-1]}]")
        noops = []
        for _ in range(args.repeat):
            seconds, said = newslake_run(Path(tmp) / "w")
            assert said.startswith("newslake: nothing new"), said
            noops.append(seconds)
        noop = statistics.median(noops)
        print(f"no-op run (same inputs): median {noop:.2f} s of {args.repeat} (min {min(noops):.2f}, max "
              f"{max(noops):.2f})  [{said}]")
        print(f"no-op / full run: {noop / full:.3f} ({full / noop:.0f}x faster); goal < {GOAL_SECONDS:.0f} s: "
              f"{'met' if noop < GOAL_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
