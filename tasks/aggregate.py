"""Aggregate: what is derived from the merged detail tables, rebuilt over the whole warehouse on every run so it
is always consistent with them: duplicate and story marks on articles, merged entity ids, the entity catalog,
entity trends, quotes' speakers, outlets and stories."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NONE

from tasks import duplicates, entities, stories, trends
from tasks.names import NAME_LABELS
from tasks.outlets import Registry
from tasks.schemas import OUTLETS, STORIES

UNKNOWN_OUTLET = "unknown"  # outlet_id of articles whose source names no outlet
WIRES = frozenset({"Reuters", "AP", "Associated Press", "AFP", "EPA", "Getty Images", "Getty", "Bloomberg", "PA",
                   "ANSA", "Xinhua", "dpa", "Kyodo", "Yonhap", "TASS"})
TOP_ENTITIES = 5


def aggregate_tables(tables: dict[str, pa.Table], registry: Registry) -> dict[str, pa.Table]:
    """The merged tables with entity ids merged and canonical names set, and the catalog and outlets rebuilt."""
    articles = mark_articles(tables["articles"])
    resolved = entities.resolve(tables["entities"])
    outlets = build_outlets(articles, resolved, registry)
    return tables | trends.entity_trends(articles, resolved) | {
        "articles": articles,
        "outlets": outlets,
        "stories": build_stories(articles, resolved, outlets),
        "entities": resolved,
        "entity_catalog": entities.catalog(resolved, articles),
        "quotes": entities.with_speakers(tables["quotes"], resolved),
    }


def mark_articles(articles: pa.Table) -> pa.Table:
    """Articles with duplicate_of, duplicate_kind and story_id set over the whole warehouse (the columns both
    need are read out of Arrow once)."""
    cols = articles.select(["article_id", "title", "text", "content_hash", "outlet_id", "published_at",
                            "ingested_at"]).to_pydict()
    rows = list(zip(*cols.values(), strict=True))
    copies = duplicates.find_copies([duplicates.Doc(a, x, h, p, i) for a, _, x, h, _, p, i in rows])
    assigned = stories.cluster_stories([stories.StoryDoc(a, t, x, None if o == UNKNOWN_OUTLET else o, p)
                                        for a, t, x, _, o, p, _ in rows])
    ids_ = [str(a) for a in cols["article_id"]]
    values: dict[str, list[str | None]] = {
        "duplicate_of": [copies[a][0] if a in copies else None for a in ids_],
        "duplicate_kind": [copies[a][1] if a in copies else None for a in ids_],
        "story_id": [assigned[a] for a in ids_],
    }
    for name, column in values.items():
        articles = articles.set_column(articles.schema.get_field_index(name), name, pa.array(column, pa.string()))
    return articles


def build_outlets(articles: pa.Table, mentions: pa.Table, registry: Registry) -> pa.Table:
    """One row per outlet_id in ``articles``: registry facts, names seen, counts, dates, wire credits, top entities."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cols = ["outlet_id", "source_outlet", "source_domain", "published_at", "word_count", "image_credits"]
    for row in articles.select(cols).to_pylist():
        grouped[str(row["outlet_id"])].append(row)
    top = top_entities(articles, mentions, "outlet_id")
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


def build_stories(articles: pa.Table, mentions: pa.Table, outlets: pa.Table) -> pa.Table:
    """One row per story_id in ``articles``: dates, outlets, counts, a representative title, top entities."""
    names = dict(zip(outlets["outlet_id"].to_pylist(), outlets["name"].to_pylist(), strict=True))
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in articles.select(["story_id", "outlet_id", "published_at", "title", "article_id"]).to_pylist():
        grouped[str(row["story_id"])].append(row)
    top = top_entities(articles, mentions, "story_id")
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


def top_entities(articles: pa.Table, mentions: pa.Table, key: str) -> dict[str, list[str]]:
    """Most-mentioned named entities per value of an articles column (people, organisations, places ...;
    not dates or numbers)."""
    named = mentions.filter(pa.compute.is_in(mentions["label"], value_set=pa.array(NAME_LABELS)))
    counts = (named.select(["article_id", "canonical_name"])
              .join(articles.select(["article_id", key]), "article_id")
              .group_by([key, "canonical_name"]).aggregate([("canonical_name", "count")]))
    per_key: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for value, name, n in zip(*(counts[c].to_pylist() for c in (key, "canonical_name", "canonical_name_count")),
                              strict=True):
        per_key[str(value)].append((-n, str(name)))
    return {value: [name for _, name in sorted(pairs)[:TOP_ENTITIES]] for value, pairs in per_key.items()}


@task(name="aggregate", cache_policy=NONE)
def aggregate_task(tables: dict[str, pa.Table], registry: Registry) -> dict[str, pa.Table]:
    return aggregate_tables(tables, registry)
