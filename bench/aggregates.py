"""Aggregates of the AllSides corpus against its stats.json: per source name, per outlet (aliases folded), per year.

    .venv/bin/python -m bench.aggregates [--corpora ../shared/corpora]

Runs ingest, clean and the articles/outlets builders (no NLP: these counts do not depend on it) over
allsides_news/articles.jsonl.gz, then prints every difference from stats.json with its cause.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from tasks.aggregate.outlets import Registry, build_outlets
from tasks.clean import clean_records
from tasks.ingest import ingest_files
from tasks.warehouse import articles_table

REGISTRY = Path(__file__).resolve().parents[1] / "data" / "outlets.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    args = parser.parse_args()
    root = args.corpora / "allsides_news"
    stats = json.loads((root / "stats.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    raw = ingest_files([root / "articles.jsonl.gz"])
    cleaned = clean_records(raw.records)
    registry = Registry.from_csv(REGISTRY)
    seen: set[str] = set()
    unique = [a for a in cleaned.records if not (a.article_id in seen or seen.add(a.article_id))]  # type: ignore[func-returns-value]
    articles = articles_table(unique, {}, datetime.now(UTC), "bench")
    sources = zip(articles["source_outlet"].to_pylist(), articles["source_domain"].to_pylist(), strict=True)
    articles = articles.append_column("outlet_id", pa.array([registry.outlet_id(n, d) for n, d in sources]))
    outlets = build_outlets(articles, registry)
    print(f"{len(raw.records)} records read, {len(cleaned.records)} cleaned, {len(unique)} distinct articles, "
          f"quarantined {Counter(q.reason for q in raw.quarantined + cleaned.quarantined)} "
          f"({time.perf_counter() - started:.0f} s)")
    if len(unique) != stats["n_articles"]:
        print(f"  articles: {len(unique)} vs stats {stats['n_articles']}: {len(cleaned.records) - len(unique)} "
              f"records repeat an earlier record's URL and body (stats: duplicate_url_extra_copies = "
              f"{stats['duplicate_url_extra_copies']}), so they share its article_id and are quarantined as duplicate")

    by_source = Counter(articles["source_outlet"].to_pylist())
    diffs = {name: (by_source.get(name.strip(), 0), n) for name, n in stats["by_source"].items()
             if by_source.get(name.strip(), 0) != n}
    print(f"per source name: {len(stats['by_source']) - len(diffs)} of {len(stats['by_source'])} equal")
    for name, (ours, theirs) in sorted(diffs.items()):
        print(f"  {name!r}: {ours} vs {theirs}")
    trimmed = [n for n in stats["by_source"] if n != n.strip()]
    if trimmed:
        print(f"  ({len(trimmed)} source names carry stray spaces in the corpus, e.g. {trimmed[0]!r}; "
              "ingest trims them, and they are compared trimmed)")

    years = Counter(str(d.year) if d else "missing" for d in articles["published_at"].to_pylist())
    year_diffs = {y: (years.get(y, 0), n) for y, n in stats["by_year"].items() if years.get(y, 0) != n}
    print(f"per year: {len(stats['by_year']) - len(year_diffs)} of {len(stats['by_year'])} equal {dict(year_diffs)}")

    total = sum(outlets["article_count"].to_pylist())
    print(f"outlets: {outlets.num_rows} after folding {len(by_source)} source names; article counts add up to "
          f"{total} (articles: {articles.num_rows}); {sum(outlets['in_registry'].to_pylist())} from the registry")
    top = outlets.sort_by([("article_count", "descending")]).slice(0, 12).to_pylist()
    for row in top:
        print(f"  {row['name']:<32}{row['article_count']:>6}  names seen: {', '.join(row['names_seen'][:6])}")
    assert total == articles.num_rows, "outlet counts must add up to the articles"
    pa.Table.validate(outlets)


if __name__ == "__main__":
    main()
