"""What the place rules make of a warehouse's names: the most frequent mentions whose place is a part of their name
(``places.named_after``, ``places.qualified_place``), with the place that part resolves to at its likeliest reading.

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
from tasks.aggregate.places import PLACE_LABELS, most_likely, place_mention


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    labels = ", ".join(f"'{label}'" for label in (*PLACE_LABELS, "ORG", "PERSON", "NORP"))
    rows = duckdb.sql(
        "select label, model_label, text, char_start from read_parquet(?, hive_partitioning = true) "
        f"where label in ({labels}) or model_label in ({labels})",
        params=[str(args.warehouse / "entities" / "**" / "*.parquet")]).fetchall()
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


if __name__ == "__main__":
    main()
