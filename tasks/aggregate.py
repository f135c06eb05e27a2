"""Aggregate: the outlets and stories tables, derived from the articles (and the registry) alone, so they are
always consistent with them."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa

from tasks.outlets import Registry
from tasks.schemas import OUTLETS, STORIES

UNKNOWN_OUTLET = "unknown"  # outlet_id of articles whose source names no outlet
WIRES = frozenset({"Reuters", "AP", "Associated Press", "AFP", "EPA", "Getty Images", "Getty", "Bloomberg", "PA",
                   "ANSA", "Xinhua", "dpa", "Kyodo", "Yonhap", "TASS"})
NAME_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW")
TOP_ENTITIES = 5


def build_outlets(articles: pa.Table, entities: pa.Table, registry: Registry) -> pa.Table:
    """One row per outlet_id in ``articles``: registry facts, names seen, counts, dates, wire credits, top entities."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cols = ["outlet_id", "source_outlet", "source_domain", "published_at", "word_count", "image_credits"]
    for row in articles.select(cols).to_pylist():
        grouped[str(row["outlet_id"])].append(row)
    top = top_entities(articles, entities, "outlet_id")
    rows = []
    for oid in sorted(grouped):
        arts = grouped[oid]
        names = Counter(a["source_outlet"] for a in arts if a["source_outlet"])
        domains = Counter(a["source_domain"] for a in arts if a["source_domain"])
        resolved = registry.resolve(names.most_common(1)[0][0] if names else None,
                                    domains.most_common(1)[0][0] if domains else None)
        entry = resolved.entry if resolved else None
        dates = [a["published_at"] for a in arts if a["published_at"] is not None]
        credits = Counter(c for a in arts for c in a["image_credits"] or [])
        rows.append({
            "outlet_id": oid,
            "name": entry.name if entry else (resolved.name if resolved else None) or "(unknown outlet)",
            "domain": entry.domain if entry else (resolved.domain if resolved else None),
            "names_seen": sorted(names),
            "country": entry.country if entry else None,
            "language": entry.language if entry else None,
            "media_type": entry.media_type if entry else None,
            "in_registry": entry is not None,
            "article_count": len(arts),
            "first_published_at": min(dates) if dates else None,
            "last_published_at": max(dates) if dates else None,
            "median_word_count": float(statistics.median(a["word_count"] for a in arts)),
            "wire_credit_share": sum(any(c in WIRES for c in a["image_credits"] or []) for a in arts) / len(arts),
            "top_image_credits": [c for c, _ in credits.most_common(5)],
            "top_entities": top.get(oid, []),
        })
    return pa.Table.from_pylist(rows, schema=OUTLETS)


def build_stories(articles: pa.Table, entities: pa.Table, outlets: pa.Table) -> pa.Table:
    """One row per story_id in ``articles``: dates, outlets, counts, a representative title, top entities."""
    names = dict(zip(outlets["outlet_id"].to_pylist(), outlets["name"].to_pylist(), strict=True))
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in articles.select(["story_id", "outlet_id", "published_at", "title", "article_id"]).to_pylist():
        grouped[str(row["story_id"])].append(row)
    top = top_entities(articles, entities, "story_id")
    rows = []
    for sid in sorted(grouped):
        arts = sorted(grouped[sid], key=lambda a: (a["published_at"] is None, a["published_at"] or 0, a["article_id"]))
        dates = [a["published_at"] for a in arts if a["published_at"] is not None]
        outlet_names = sorted({str(names.get(a["outlet_id"]) or a["outlet_id"]) for a in arts})
        rows.append({
            "story_id": sid,
            "title": next((a["title"] for a in arts if a["title"]), None),
            "first_published_at": min(dates) if dates else None,
            "last_published_at": max(dates) if dates else None,
            "article_count": len(arts),
            "outlet_count": len({a["outlet_id"] for a in arts}),
            "outlets": outlet_names,
            "top_entities": top.get(sid, []),
        })
    return pa.Table.from_pylist(rows, schema=STORIES)


def top_entities(articles: pa.Table, entities: pa.Table, key: str) -> dict[str, list[str]]:
    """Most-mentioned named entities per value of an articles column (people, organisations, places ...;
    not dates or numbers)."""
    named = entities.filter(pa.compute.is_in(entities["label"], value_set=pa.array(NAME_LABELS)))
    counts = (named.select(["article_id", "canonical_name"])
              .join(articles.select(["article_id", key]), "article_id")
              .group_by([key, "canonical_name"]).aggregate([("canonical_name", "count")]))
    per_key: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for value, name, n in zip(*(counts[c].to_pylist() for c in (key, "canonical_name", "canonical_name_count")),
                              strict=True):
        per_key[str(value)].append((-n, str(name)))
    return {value: [name for _, name in sorted(pairs)[:TOP_ENTITIES]] for value, pairs in per_key.items()}
