"""The clean stage's quality gate: its figures on the validation parts (``bench/split.py``) against the floors pinned
in ``bench/floors.json``, like trafilatura's own eval gate. ``make test`` runs it.

    .venv/bin/python -m bench.gate [--corpora ../shared/corpora]

Exits 1 naming every figure below its floor. Without the corpora (a clone with no ../shared beside it) there is
nothing to score: it says so and exits 0. A floor moves up when a change lifts its figure for good, never down to
let a change through.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.extraction import body_results, date_results, meta_results
from bench.split import Part

FLOORS = Path(__file__).with_name("floors.json")


def figures(corpora: Path) -> dict[str, float]:
    """newslake's validation figures, by the names floors.json uses."""
    validation: tuple[Part, ...] = ("validation",)  # only those pages are read and extracted
    body = body_results(corpora / "scrapinghub_article_extraction", ["HTML: newslake", "text dump: newslake"],
                        validation)
    dates = date_results(corpora / "htmldate_pubdate", ["newslake"], validation)
    meta = meta_results(corpora / "mercury_parser_fixtures", ("newslake",), validation)["newslake"]["validation"]
    return {
        "body F1, HTML pages": body["HTML: newslake"]["validation"].f1,
        "body F1, text dumps": body["text dump: newslake"]["validation"].f1,
        "publication-date F1": dates["newslake"]["validation"].f1,
        "title exact match": meta["title"],
        "author exact match": meta["author"],
        "date exact match (metadata)": meta["date"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    args = parser.parse_args()
    if not (args.corpora / "scrapinghub_article_extraction").is_dir():
        print(f"quality gate: no corpora at {args.corpora}; nothing scored")
        return 0
    started = time.perf_counter()
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    measured = figures(args.corpora)
    missed = [name for name, floor in floors.items() if measured[name] < floor]
    for name, floor in floors.items():
        print(f"  {name:<30} {measured[name]:.3f}  floor {floor:.3f}{'  BELOW' if name in missed else ''}")
    verdict = f"{len(missed)} below the floor" if missed else "every figure at or above its floor"
    print(f"quality gate (validation parts, {time.perf_counter() - started:.0f} s): {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
