"""Clean-stage quality against published extractors, side by side with trafilatura in the same run.

    .venv/bin/python -m bench.extraction [--corpora ../shared/corpora] [--check-reference]

- body F1 on scrapinghub_article_extraction: HTML pages (newslake vs trafilatura) and text dumps (newslake vs
  the raw dump), with the benchmark's own metric (``bench/scoring.py``); ``--check-reference`` first shows the
  scorer reproduces ``reference_scores.json`` from ``reference_outputs/``;
- publication-date F1 on htmldate_pubdate (newslake vs htmldate's extensive search);
- title and author accuracy on mercury_parser_fixtures (newslake vs trafilatura).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

from bench.scoring import HEADER, date_scores, extraction_scores
from tasks.clean import htmlpage, parse_published, textdump
from tasks.ingest import decode_text


def _gz_text(path: Path) -> str:
    return decode_text(gzip.decompress(path.read_bytes()))


def check_reference(root: Path) -> None:
    gold = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    published = json.loads((root / "reference_scores.json").read_text(encoding="utf-8"))["this_split"]
    print("scorer check against reference_scores.json (this_split):")
    worst = 0.0
    for path in sorted((root / "reference_outputs").glob("*.json.gz")):
        name = path.name.removesuffix(".json.gz")
        output = json.loads(gzip.decompress(path.read_bytes()))["output"]
        ours = extraction_scores((g["articleBody"], output.get(k, {}).get("articleBody", "")) for k, g in gold.items())
        ref = published[name]
        worst = max(worst, abs(ours.f1 - ref["f1"]), abs(ours.precision - ref["precision"]))
        print(f"  {name:<18} F1 {ours.f1:.3f} (published {ref['f1']:.3f})")
    print(f"  largest difference: {worst:.4f}\n")


def body_scores(root: Path) -> None:
    gold = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    html = {k: _gz_text(root / "html" / f"{k}.html.gz") for k in gold}
    dumps = {k: (root / "textdump" / f"{k}.txt").read_text(encoding="utf-8") for k in gold}
    runs: list[tuple[str, dict[str, str]]] = []
    systems: list[tuple[str, Callable[[str, str], str], dict[str, str]]] = [
        ("HTML: trafilatura (default settings)", lambda h, u: trafilatura.extract(h, url=u) or "", html),
        ("HTML: newslake", lambda h, u: "\n".join(htmlpage.extract(h, u).paragraphs), html),
        ("text dump: raw dump", lambda t, u: t, dumps),
        ("text dump: newslake", lambda t, u: "\n".join(textdump.extract(t).paragraphs), dumps),
    ]
    for name, fn, pages in systems:
        started = time.perf_counter()
        predicted = {k: fn(pages[k], gold[k]["url"]) for k in gold}
        runs.append((f"{name} ({time.perf_counter() - started:.1f} s)", predicted))
    print(f"body extraction, {len(gold)} pages of scrapinghub_article_extraction\n{HEADER}")
    for name, predicted in runs:
        print(extraction_scores((gold[k]["articleBody"], predicted[k]) for k in gold).row(name))
    halves = [[k for k in gold if int(hashlib.sha256(k.encode()).hexdigest(), 16) % 2 == h] for h in (0, 1)]
    print("the same, on two halves of the pages (a stability check; the rules were not fitted per page):")
    for name, predicted in runs:
        f1s = [extraction_scores((gold[k]["articleBody"], predicted[k]) for k in half).f1 for half in halves]
        print(f"  {name.split(' (')[0]:<42}{f1s[0]:>7.3f}{f1s[1]:>7.3f}")
    print()


def date_benchmark(root: Path) -> None:
    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    predictions = {
        json.loads(line)["id"]: json.loads(line)
        for line in (root / "htmldate_predictions.jsonl").read_text(encoding="utf-8").splitlines()
    }
    ours = []
    for label in labels:
        html = _gz_text(root / label["html_file"])
        published = htmlpage.extract(html, label["url"]).published
        ours.append((label["date"], published[:10] if published else None))
    reference = [(label["date"], predictions[label["id"]]["htmldate_extensive"]) for label in labels]
    print(f"publication date, {len(labels)} pages of htmldate_pubdate\n{HEADER}")
    print(date_scores(reference).row("htmldate 1.11.0 extensive (stored run)"))
    print(date_scores(ours).row("newslake"))
    print()


def _names(value: str | list[str] | None) -> frozenset[str]:
    parts = value if isinstance(value, list) else re.split(r",\s*|\s+and\s+|\s*;\s*", value or "")
    return frozenset(" ".join(p.split()).casefold() for p in parts if p and p.strip())


def _title(value: str | None) -> str:
    return " ".join((value or "").split())


def meta_benchmark(root: Path) -> None:
    """Exact-match rates on mercury_parser_fixtures: title (whitespace-normalised), author (as a set of names),
    date (day level, within one day), over the pages where the field is asserted."""
    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    hits: dict[str, Counter[str]] = {"trafilatura": Counter(), "newslake": Counter()}
    asked: Counter[str] = Counter()
    for label in labels:
        html, expected = _gz_text(root / label["html_file"]), label["expected"]
        doc = trafilatura.bare_extraction(html, url=label["url"], with_metadata=True)
        theirs = {"title": doc.title, "author": (doc.author or "").split(";"), "date": doc.date} if doc else {}
        ext = htmlpage.extract(html, label["url"])
        ours = {"title": ext.title, "author": ext.authors, "date": ext.published}
        for field, key in (("title", "title"), ("author", "author"), ("date", "date_published")):
            if key not in label["asserted_fields"]:
                continue
            asked[field] += 1
            for system, got in (("trafilatura", theirs), ("newslake", ours)):
                hits[system][field] += _meta_match(field, expected[key], got.get(field))
    print(f"metadata exact-match rate, {len(labels)} pages of mercury_parser_fixtures")
    print(f"{'system':<44}" + "".join(f"{f + ' (' + str(asked[f]) + ')':>14}" for f in asked))
    for system, counts in hits.items():
        print(f"{system:<44}" + "".join(f"{counts[f] / asked[f]:>14.3f}" for f in asked))
    print()


def _meta_match(field: str, expected: str | None, got: object) -> bool:
    if field == "title":
        return _title(expected) == _title(got if isinstance(got, str) else None)
    if field == "author":
        return _names(expected) == _names(got if isinstance(got, list) else None)
    want = parse_published(expected)
    have = parse_published(got if isinstance(got, str) else None)
    if want is None or have is None:
        return want is None and have is None
    return abs((want.date() - have.date()).days) <= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--check-reference", action="store_true")
    parser.add_argument("--only", choices=["body", "date", "meta"], action="append")
    args = parser.parse_args()
    only = set(args.only or ["body", "date", "meta"])
    extraction = args.corpora / "scrapinghub_article_extraction"
    if args.check_reference:
        check_reference(extraction)
    if "body" in only:
        body_scores(extraction)
    if "date" in only:
        date_benchmark(args.corpora / "htmldate_pubdate")
    if "meta" in only:
        meta_benchmark(args.corpora / "mercury_parser_fixtures")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
