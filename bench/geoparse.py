"""Place resolution on ../shared/corpora/geoparsing_news (GeoVirus + LGL news with every place name resolved to
coordinates), scored by ../shared/tools/geoparse_score.py: accuracy within 161 km over all gold toponyms (missed ones
count as wrong), on the development and validation parts (bench.split, keyed by article id).

    nice .venv/bin/python -m bench.geoparse [--corpora ../shared/corpora] [--part development]

Recognition is the pipeline's (tasks.nlp.analyze with the default model), the place mentions those the aggregate
stage resolves (tasks.aggregate.place_names.place_mention). Three resolvers of the same mentions, in one run:
  population  each name to its most populous gazetteer entry (the baseline)
  article     tasks.aggregate.places.resolve with the evidence of the mention's own article
  entity      the warehouse's own ``places`` table (tasks.aggregate.place_tables.build_places) over the part's mentions,
              each name key standing for an entity id: the evidence pooled over every article naming it, one place
              per name across articles
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa

from bench.split import PARTS, add_part_option, part
from tasks.aggregate.gazetteer import Gazetteer, Place, gazetteer
from tasks.aggregate.place_names import Mention, place_mention
from tasks.aggregate.place_tables import build_places
from tasks.aggregate.places import article_evidence, as_town, resolve
from tasks.nlp.analyze import analyze, default_model
from tasks.records import CleanArticle

BATCH = 32


def scorer(corpora: Path) -> ModuleType:
    path = corpora.parent / "tools" / "geoparse_score.py"
    spec = importlib.util.spec_from_file_location("geoparse_score", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recognise(articles: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The pipeline's entity mentions of each article, by article id."""
    clean = [CleanArticle(article_id=a["id"], text=a["text"], content_hash=a["id"], source_uri=a["id"],
                          source_format="txt", language="en") for a in articles]
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in range(0, len(clean), BATCH):
        rows = analyze(clean[i : i + BATCH], default_model()).entities.to_pylist()
        for r in rows:
            found[r["article_id"]].append(r)
    return found


def predictions(found: dict[str, list[dict[str, Any]]], doc_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Rows (doc_id, char_start, char_end, lat, lon) of each resolver."""
    gaz = gazetteer()
    mentions = {d: [m for r in found.get(d, ()) if (m := place_mention(
        r["name_key"], r["label"], r["model_label"], r["text"], r["char_start"], gaz)) is not None] for d in doc_ids}
    evidence = {d: article_evidence(ms, gaz, None) for d, ms in mentions.items()}
    places = entity_places(found, doc_ids, gaz)
    out: dict[str, list[dict[str, Any]]] = {"population": [], "article": [], "entity": []}

    def row(d: str, m: Mention, place: Place | dict[str, Any] | None) -> dict[str, Any]:
        """A prediction row: a gazetteer entry's point, or a ``places`` row's."""
        if isinstance(place, dict):
            lat, lon = place["latitude"], place["longitude"]
        else:
            lat, lon = (place.latitude, place.longitude) if place else (None, None)
        return {"doc_id": d, "char_start": m.start, "char_end": m.end, "lat": lat, "lon": lon}

    for d, ms in mentions.items():
        for m in ms:
            candidates, ev, placed = gaz.candidates(m.name), evidence[d][m.key], places.get(m.key)
            here = (resolve if ev.articles else as_town)(candidates, ev).place  # as resolve_places reads an entity
            if placed or not m.doubtful:  # a doubtful mention is a place mention only where its entity is read as one
                out["population"].append(row(d, m, max(candidates, key=lambda p: p.population, default=None)))
                out["entity"].append(row(d, m, placed))
            if here or not m.doubtful:
                out["article"].append(row(d, m, here))
    return out


def entity_places(found: dict[str, list[dict[str, Any]]], doc_ids: list[str], gaz: Gazetteer) -> dict[str, Any]:
    """The ``places`` rows the warehouse would write for the part's mentions (``build_places``), by entity: each
    name key stands for an entity id, its most common spelling for the entity's canonical name."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for d in doc_ids:
        for r in found.get(d, ()):
            spellings[r["name_key"]][r["text"]] += 1
    rows = [{"article_id": d, "entity_id": r["name_key"], "label": r["label"], "model_label": r["model_label"],
             "text": r["text"], "char_start": r["char_start"],
             "canonical_name": spellings[r["name_key"]].most_common(1)[0][0]}
            for d in doc_ids for r in found.get(d, ())]
    table = build_places([pa.RecordBatch.from_pylist(rows)], {}, gaz) if rows else None
    return {p["entity_id"]: p for p in (table.to_pylist() if table is not None else ())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--mentions", type=Path, help="keep the recognised mentions in this JSON file, and read "
                        "them from it when it exists (to try resolvers without running the model again)")
    add_part_option(parser)
    args = parser.parse_args()
    started = time.perf_counter()
    gold_dir = args.corpora / "geoparsing_news"
    score = scorer(args.corpora)
    articles, toponyms = score.load_gold(gold_dir)
    if args.mentions and args.mentions.exists():
        found = json.loads(args.mentions.read_text(encoding="utf-8"))
    else:
        found = recognise(list(articles.values()))
        if args.mentions:
            args.mentions.write_text(json.dumps(found), encoding="utf-8")
    recognised = time.perf_counter() - started
    gazetteer()
    print(f"{len(articles)} articles recognised in {recognised:.0f} s, gazetteer built in "
          f"{time.perf_counter() - started - recognised:.0f} s\n")
    print("| part | resolver | geovirus acc@161 all | lgl acc@161 all | all acc@161 all | recall | "
          "acc@161 matched | AUC | median km |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for wanted in args.part or PARTS:
        ids = [d for d in articles if part(d) == wanted]
        arts = {d: articles[d] for d in ids}
        tops = [t for t in toponyms if t["doc_id"] in arts]
        for name, rows in predictions(found, ids).items():
            preds = [{**r, "row": i} for i, r in enumerate(rows)]
            res = score.score(arts, tops, score.match(arts, tops, preds, Counter()))
            o, src = res["overall"], res["by_source"]
            print(f"| {wanted} | {name} | {src['geovirus']['acc161_all']:.3f} | {src['lgl']['acc161_all']:.3f} | "
                  f"**{o['acc161_all']:.3f}** | {o['recall']:.3f} | {o['acc161_matched']:.3f} | {o['auc']:.3f} | "
                  f"{o['median_km']:.0f} |")
    published = json.loads((gold_dir / "stats.json").read_text(encoding="utf-8"))["published"]["CLAVIN"]
    print(f"\nCLAVIN as published (full corpora, its own recognition, scored on what it found): GeoVirus "
          f"{published['geovirus']['acc161']:.2f}, LGL {published['lgl']['acc161']:.2f}. "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
