"""The aggregates the flow computes, checked against the corpus and against the warehouse's own detail tables.

    .venv/bin/python -m bench.aggregates [-n 1000] [--corpora ../shared/corpora]

Runs the real flow (ingest, clean, NLP, aggregate, commit) over the first N AllSides articles, then checks, with
DuckDB queries written here over the committed warehouse, what the flow derived:
- dates: the articles per publication year against the years the corpus's own `date_iso` gives for those records
  (the clean stage parses the dates; the corpus states them);
- outlets: every article's outlet is in `outlets`, whose counts and first/last dates are those of its articles, and
  every source name the registry knows folds into its registry outlet;
- duplicates: each `duplicate_of` points at an article of the warehouse that is no copy itself, and exact copies
  share its content hash;
- stories: each story's article and outlet counts and dates are those of its articles;
- entities: the catalog's mention and article counts, and `entity_daily`'s totals, are those of `entities`.
The registry check follows the resolution rule as its docstring states it (a known domain first, else a known name),
written again here.
Prints every check with what it found; exits 1 when one fails.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections import Counter
from itertools import islice
from pathlib import Path

import duckdb

from flows.cli import set_environment_defaults

set_environment_defaults()

from flows.news_pipeline import news_pipeline  # noqa: E402 (after the environment, as the CLI does)
from tasks.aggregate.outlets import Registry  # noqa: E402
from tasks.names import NAME_LABELS  # noqa: E402
from tasks.warehouse import storage  # noqa: E402

REGISTRY = Path(__file__).resolve().parents[1] / "data" / "outlets.csv"

NAMED = ", ".join(f"'{label}'" for label in NAME_LABELS)
# name -> a query over the warehouse giving the rows that break the rule (none when it holds)
CHECKS = {
    "every article's outlet is in outlets": """
        select article_id from articles where outlet_id not in (select outlet_id from outlets)""",
    "outlet article counts and dates are its articles'": """
        select o.outlet_id from outlets o left join (
            select outlet_id, count(*) n, min(published_at) f, max(published_at) l from articles group by all) a
        using (outlet_id)
        where o.article_count is distinct from a.n or o.first_published_at is distinct from a.f
           or o.last_published_at is distinct from a.l""",
    "duplicate_of names an original in the warehouse": """
        select c.article_id from articles c left join articles o on o.article_id = c.duplicate_of
        where c.duplicate_of is not null and (o.article_id is null or o.duplicate_of is not null)""",
    "exact copies share their original's content hash": """
        select c.article_id from articles c join articles o on o.article_id = c.duplicate_of
        where c.duplicate_kind = 'exact' and c.content_hash <> o.content_hash""",
    "story counts and dates are its articles'": """
        select s.story_id from stories s left join (
            select story_id, count(*) n, count(distinct outlet_id) k, min(published_at) f, max(published_at) l
            from articles group by all) a using (story_id)
        where s.article_count is distinct from a.n or s.outlet_count is distinct from a.k
           or s.first_published_at is distinct from a.f or s.last_published_at is distinct from a.l""",
    "every article is in one story": """
        select article_id from articles where story_id not in (select story_id from stories)""",
    "catalog mention and article counts are the named mentions'": f"""
        select c.entity_id from entity_catalog c left join (
            select entity_id, count(*) m, count(distinct article_id) a from entities where label in ({NAMED})
            group by all) e using (entity_id)
        where c.mention_count is distinct from e.m or c.article_count is distinct from e.a""",
    "entity_daily adds up to the named mentions (undated ones on a null day)": f"""
        select e.entity_id from (select entity_id, count(*) m from entities where label in ({NAMED}) group by all) e
        left join (select entity_id, sum(mentions) m from entity_daily group by all) d using (entity_id)
        where e.m is distinct from d.m""",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="AllSides articles (default 1,000)")
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    args = parser.parse_args()
    with gzip.open(args.corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        lines = list(islice(fh, args.n))
    records = [json.loads(line) for line in lines]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        inbox, out = Path(tmp) / "allsides.jsonl", Path(tmp) / "warehouse"
        inbox.write_text("".join(lines), encoding="utf-8")
        started = time.perf_counter()
        summary = news_pipeline(inputs=[str(inbox)], out=str(out), outlets_registry=str(REGISTRY))
        print(f"\nthe flow over {len(records)} AllSides records: {summary.articles_in_run} articles, quarantined "
              f"{summary.quarantined} ({time.perf_counter() - started:.0f} s)\n")
        con = storage.open_duckdb(out)
        failed += _check_years(con, records)
        failed += _check_registry(con)
        for name, query in CHECKS.items():
            broken = con.sql(query).fetchall()
            failed += bool(broken)
            print(f"{'FAIL' if broken else 'ok  '} {name}" + (f": {len(broken)} rows, e.g. {broken[:3]}" if broken
                                                             else ""))
        con.close()
    print(f"\n{len(CHECKS) + 2 - failed} of {len(CHECKS) + 2} checks hold")
    return 1 if failed else 0


def _check_years(con: duckdb.DuckDBPyConnection, records: list[dict[str, str]]) -> bool:
    """Articles per publication year against the corpus's date_iso of the records they came from (by URL)."""
    stated = Counter((r.get("date_iso") or "")[:4] or None for r in {r["url"]: r for r in records}.values())
    rows = con.sql("select strftime(published_at, '%Y') y, count(*) from articles group by all").fetchall()
    ours = Counter({year: n for year, n in rows})
    differ = {y: (ours.get(y, 0), n) for y, n in stated.items() if ours.get(y, 0) != n}
    print(f"{'FAIL' if differ else 'ok  '} articles per year equal the corpus's dates"
          + (f": (ours, corpus) {differ}" if differ else f" ({dict(sorted(ours.items(), key=str))})"))
    return bool(differ)


def _check_registry(con: duckdb.DuckDBPyConnection) -> bool:
    """An article from a domain the registry knows (or a subdomain of one) is counted under that registry outlet;
    else one whose source name is a registry alias, under that alias's outlet."""
    registry = Registry.from_csv(REGISTRY)

    def by_domain(domain: str | None) -> str | None:
        labels = (domain or "").lower().removeprefix("www.").split(".")
        found = (registry.by_domain.get(".".join(labels[i:])) for i in range(len(labels) - 1))
        return next((entry.name for entry in found if entry), None)

    rows = con.sql("select source_outlet, source_domain, o.name from articles a join outlets o using (outlet_id)")
    checked = wrong = 0
    for source, domain, name in rows.fetchall():
        alias = registry.by_name.get(" ".join((source or "").casefold().split()))
        expected = by_domain(domain) or (alias.name if alias else None)
        if expected:
            checked += 1
            wrong += name != expected
    print(f"{'FAIL' if wrong else 'ok  '} {checked} articles from a registry domain or alias fold into its outlet"
          + (f": {wrong} do not" if wrong else ""))
    return bool(wrong)


if __name__ == "__main__":
    sys.exit(main())
