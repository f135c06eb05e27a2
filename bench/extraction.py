"""Clean-stage quality against published extractors, side by side with trafilatura in the same run.

    .venv/bin/python -m bench.extraction [--corpora ../shared/corpora] [--check-reference]

- body F1 on scrapinghub_article_extraction: HTML pages (newslake vs trafilatura) and text dumps (newslake vs
  the raw dump), with the benchmark's own metric (``bench/scoring.py``); ``--check-reference`` first shows the
  scorer reproduces ``reference_scores.json`` from ``reference_outputs/``;
- publication-date F1 on htmldate_pubdate (newslake vs htmldate's extensive search);
- title and author accuracy on mercury_parser_fixtures (newslake vs trafilatura).

Every figure is given on the validation part of its corpus (``bench/split.py``), the development part beside it:
rules are developed on the development part, and the README reports the validation part.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

from bench.scoring import HEADER, Scores, date_scores, extraction_scores
from bench.split import PARTS, Part, only, part
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


Results = dict[str, dict[Part, Scores]]  # system -> part -> scores


def body_results(root: Path, systems: list[str] | None = None, parts: tuple[Part, ...] = PARTS) -> Results:
    """Body F1 per system and part on scrapinghub_article_extraction: HTML pages and text dumps."""
    gold = {k: g for k, g in json.loads((root / "ground_truth.json").read_text(encoding="utf-8")).items()
            if part(k) in parts}
    html = {k: _gz_text(root / "html" / f"{k}.html.gz") for k in gold}
    dumps = {k: (root / "textdump" / f"{k}.txt").read_text(encoding="utf-8") for k in gold}
    runs: dict[str, tuple[Callable[[str, str], str], dict[str, str]]] = {
        "HTML: trafilatura (default settings)": (lambda h, u: trafilatura.extract(h, url=u) or "", html),
        "HTML: newslake": (lambda h, u: "\n".join(htmlpage.extract(h, u).paragraphs), html),
        "text dump: raw dump": (lambda t, u: t, dumps),
        "text dump: newslake": (lambda t, u: "\n".join(textdump.extract(t).paragraphs), dumps),
    }
    results: Results = {}
    for name, (fn, pages) in runs.items():
        if systems is not None and name not in systems:
            continue
        predicted = {k: fn(pages[k], gold[k]["url"]) for k in gold}
        results[name] = {p: extraction_scores(only(((k, (gold[k]["articleBody"], predicted[k])) for k in gold), p))
                         for p in parts}
    return results


def date_results(root: Path, systems: list[str] | None = None, parts: tuple[Part, ...] = PARTS) -> Results:
    """Publication-date F1 on htmldate_pubdate: htmldate's stored run and newslake, per part."""
    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    labels = [label for label in labels if part(label["id"]) in parts]
    predictions = {
        json.loads(line)["id"]: json.loads(line)
        for line in (root / "htmldate_predictions.jsonl").read_text(encoding="utf-8").splitlines()
    }
    results: Results = {}
    if systems is None or "htmldate 1.11.0 extensive (stored run)" in systems:
        pairs = [(label["id"], (label["date"], predictions[label["id"]]["htmldate_extensive"])) for label in labels]
        results["htmldate 1.11.0 extensive (stored run)"] = {p: date_scores(only(pairs, p)) for p in parts}
    if systems is None or "newslake" in systems:
        ours = []
        for label in labels:
            published = htmlpage.extract(_gz_text(root / label["html_file"]), label["url"]).published
            ours.append((label["id"], (label["date"], published[:10] if published else None)))
        results["newslake"] = {p: date_scores(only(ours, p)) for p in parts}
    return results


def print_results(title: str, results: Results) -> None:
    pages = {p: next(iter(results.values()))[p].pages for p in PARTS}
    print(f"{title}: validation part ({pages['validation']} pages); development part ({pages['development']}) "
          f"beside it\n{HEADER}{'dev F1':>9}")
    for name, by_part in results.items():
        print(f"{by_part['validation'].row(name)}{by_part['development'].f1:>9.3f}")
    print()


def _names(value: str | list[str] | None) -> frozenset[str]:
    parts = value if isinstance(value, list) else re.split(r",\s*|\s+and\s+|\s*;\s*", value or "")
    return frozenset(" ".join(p.split()).casefold() for p in parts if p and p.strip())


def _title(value: str | None) -> str:
    return " ".join((value or "").split())


MetaResults = dict[str, dict[Part, dict[str, float]]]  # system -> part -> field -> exact-match rate


def meta_results(root: Path, systems: tuple[str, ...] = ("trafilatura", "newslake"),
                 parts: tuple[Part, ...] = PARTS) -> MetaResults:
    """Exact-match rates on mercury_parser_fixtures per part: title (whitespace-normalised), author (as a set of
    names), date (day level, within one day), over the pages where the field is asserted."""
    labels = [json.loads(line) for line in (root / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    hits = {system: {p: Counter[str]() for p in parts} for system in systems}
    asked = {p: Counter[str]() for p in parts}
    for label in (label for label in labels if part(label["id"]) in parts):
        html, expected, where = _gz_text(root / label["html_file"]), label["expected"], part(label["id"])
        got: dict[str, dict[str, object]] = {}
        if "trafilatura" in systems:
            doc: Any = trafilatura.bare_extraction(html, url=label["url"], with_metadata=True)
            got["trafilatura"] = {"title": doc.title, "author": (doc.author or "").split(";"),
                                  "date": doc.date} if doc else {}
        if "newslake" in systems:
            ext = htmlpage.extract(html, label["url"])
            got["newslake"] = {"title": ext.title, "author": ext.authors, "date": ext.published}
        for field, key in (("title", "title"), ("author", "author"), ("date", "date_published")):
            if key not in label["asserted_fields"]:
                continue
            asked[where][field] += 1
            for system, values in got.items():
                hits[system][where][field] += _meta_match(field, expected[key], values.get(field))
    return {system: {p: {f: hits[system][p][f] / n for f, n in asked[p].items()} for p in parts}
            for system in systems}


def print_meta(results: MetaResults) -> None:
    fields = list(next(iter(results.values()))["validation"])
    print("metadata exact-match rate on mercury_parser_fixtures: validation part; development part beside it")
    print(f"{'system':<44}" + "".join(f"{f:>10}" for f in fields) + "".join(f"{'dev ' + f:>12}" for f in fields))
    for system, by_part in results.items():
        print(f"{system:<44}" + "".join(f"{by_part['validation'][f]:>10.3f}" for f in fields)
              + "".join(f"{by_part['development'][f]:>12.3f}" for f in fields))
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
        print_results(f"body extraction, {extraction.name}", body_results(extraction))
    if "date" in only:
        print_results("publication date, htmldate_pubdate", date_results(args.corpora / "htmldate_pubdate"))
    if "meta" in only:
        print_meta(meta_results(args.corpora / "mercury_parser_fixtures"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
