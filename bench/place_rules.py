"""What the place rules make of a warehouse's names: the most frequent mentions whose place is a part of their name
(``place_names.named_after``, ``place_names.qualified_place``), with the place that part resolves to at its
likeliest reading; then the ``places`` rows ``build_places`` gives the warehouse's entities that are towns of under
20,000 people, the most written about first (where a common word or a person read as a small town shows).

The geoparsing bench holds local US papers and WikiNews, where a town's name before another word is mostly the
town. A rule shaped there can read national news wrongly ("Wall Street Journal" as the town of Wall), so every place
rule is also read name by name on a warehouse of other news before it is kept:

    nice .venv/bin/python -m bench.place_rules --warehouse DIR [--top 40]

(DIR: a warehouse the flow wrote, e.g. over the 12,800 AllSides articles.)
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import duckdb

from tasks.aggregate.gazetteer import gazetteer
from tasks.aggregate.place_names import PLACE_LABELS, place_mention
from tasks.aggregate.place_tables import build_places
from tasks.aggregate.places import most_likely

SMALL_TOWN = 20_000  # people: where a common word or a person read as a town shows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    labels = ", ".join(f"'{label}'" for label in (*PLACE_LABELS, "ORG", "PERSON", "NORP"))
    entities = str(args.warehouse / "entities" / "**" / "*.parquet")
    rows = duckdb.sql(
        "select label, model_label, text, char_start from read_parquet(?, hive_partitioning = true) "
        f"where label in ({labels}) or model_label in ({labels})", params=[entities]).fetchall()
    gaz = gazetteer()
    parts: Counter[tuple[str, str, str]] = Counter()
    for label, model_label, text, start in rows:
        m = place_mention("", label, model_label, text, start, gaz)
        if m is not None and m.name != text:
            parts[(label, text, m.name)] += 1
    print(f"{len(rows):,} mentions that may be places; {sum(parts.values()):,} are places by a part of their name\n")
    print("| mentions | label | name | place part | likeliest reading |")
    print("| ---: | --- | --- | --- | --- |")
    for (label, text, part), n in parts.most_common(args.top):
        p = most_likely(gaz.candidates(part))
        reading = f"{p.name} ({p.kind}, {p.country_code}, {p.admin1}, {p.population:,} people)" if p else "none"
        print(f"| {n} | {label} | {text} | {part} | {reading} |")
    table = duckdb.sql("select article_id, entity_id, label, model_label, text, char_start, canonical_name "
                       "from read_parquet(?, hive_partitioning = true)", params=[entities]).arrow()
    places = build_places(table, {}, gaz).to_pylist()  # read batch by batch; outlets' countries left out
    people = {(p.name, p.latitude, p.longitude): p.population for ps in gaz.by_name.values() for p in ps}
    towns = [r for r in places if r["kind"] == "city"
             and people.get((r["place_name"], r["latitude"], r["longitude"]), 0) < SMALL_TOWN]
    print(f"\n{len(places):,} places rows; {len(towns):,} are towns of under {SMALL_TOWN:,} people\n")
    print("| articles | entity | town | country, region | people | resolved by |")
    print("| ---: | --- | --- | --- | ---: | --- |")
    for row in sorted(towns, key=lambda r: -r["articles"])[:args.top]:
        town = (row["place_name"], row["latitude"], row["longitude"])
        print(f"| {row['articles']} | {row['name']} | {row['place_name']} | {row['country_code']}, {row['admin1']} "
              f"| {people[town]:,} | {row['resolved_by']} |")


if __name__ == "__main__":
    main()
