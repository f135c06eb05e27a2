"""Aggregate: what is derived from the merged detail tables, rebuilt over the whole warehouse on every run so it
is always consistent with them: duplicate and story marks on articles, merged entity ids, the entity catalog,
entity trends, quotes' speakers, outlets and stories."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
from prefect import task
from prefect.cache_policies import NONE

from tasks import duplicates, entities, ids, sql, stories, trends
from tasks.memory import give_back_memory
from tasks.names import NAME_LABELS
from tasks.outlets import Registry
from tasks.schemas import ARTICLES, ENTITIES, OUTLETS, QUOTES, STORIES

if TYPE_CHECKING:
    from tasks.warehouse import Merged

UNKNOWN_OUTLET = "unknown"  # outlet_id of articles whose source names no outlet
WIRES = frozenset({"Reuters", "AP", "Associated Press", "AFP", "EPA", "Getty Images", "Getty", "Bloomberg", "PA",
                   "ANSA", "Xinhua", "dpa", "Kyodo", "Yonhap", "TASS"})
TOP_ENTITIES = 5


ARTICLE_MARKS = ["article_id", "title", "text", "content_hash", "outlet_id", "published_at", "ingested_at"]
ARTICLE_FACTS = ["article_id", "outlet_id", "source_outlet", "source_domain", "published_at", "word_count",
                 "image_credits", "story_id", "title"]


def aggregate(merged: Merged, registry: Registry) -> None:
    """Write the derived tables of ``merged``'s version, reading the warehouse a batch at a time: articles
    with duplicate and story marks, entities with merged ids and canonical names, quotes with speakers, then
    catalog, trends, outlets and stories computed by DuckDB over those parts."""
    commit = merged.commit
    write_articles(merged)
    write_entities(merged)
    facts = pa.Table.from_batches(list(commit.current_parts("articles", ARTICLE_FACTS)),
                                  schema=pa.schema([ARTICLES.field(c) for c in ARTICLE_FACTS]))
    quotes = pa.RecordBatchReader.from_batches(QUOTES, merged.batches("quotes"))
    fs = None if commit.local else commit.fs
    with sql.connect(fs, quotes=quotes, entities=sql.Parquet(commit.urls("entities"), ENTITIES)) as con:
        commit.writer("quotes").write_all(sql.stream(con, entities.SPEAKERS_SQL)).close()
    detail = {"articles": sql.Parquet(commit.urls("articles"), ARTICLES),
              "entities": sql.Parquet(commit.urls("entities"), ENTITIES)}
    with sql.connect(fs, **detail) as con:  # a connection per query: DuckDB keeps what a query used until closed
        commit.writer("entity_catalog").write_all(entities.catalog_batches(con)).close()
    for name, query in trends.QUERIES.items():
        with sql.connect(fs, **detail) as con:
            commit.writer(name).write_all(sql.stream(con, query)).close()
    with sql.connect(fs, **detail) as con:
        top = {key: top_entities(con, key) for key in ("outlet_id", "story_id")}
    outlets = build_outlets(facts, registry, top["outlet_id"])
    commit.write("outlets", outlets)
    commit.write("stories", build_stories(facts, outlets, top["story_id"]))


def write_articles(merged: Merged) -> None:
    """The articles with duplicate and story marks over the whole warehouse."""
    copies, assigned = article_marks(merged.batches("articles", ARTICLE_MARKS))
    give_back_memory()
    with merged.commit.writer("articles") as articles:
        articles.write_all(with_marks(batch, copies, assigned) for batch in merged.batches("articles"))


def write_entities(merged: Merged) -> None:
    """The entity mentions with merged ids and canonical names over the whole warehouse."""
    names = entities.resolution(entities.name_counts(merged.batches("entities", ["label", "name_key", "text"])))
    give_back_memory()
    with merged.commit.writer("entities") as mentions:
        mentions.write_all(entities.with_ids(batch, names) for batch in merged.batches("entities"))
    del names
    give_back_memory()


def article_marks(batches: Iterable[pa.RecordBatch]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Copies (article_id → (original, kind)) and stories (article_id → story_id) over all articles, read a
    batch at a time: each article is kept as its fingerprint and the opening its story clustering reads."""
    prints: list[duplicates.Fingerprint] = []
    leads: list[stories.StoryDoc] = []
    for batch in batches:
        for a, t, x, h, o, p, i in zip(*batch.to_pydict().values(), strict=True):
            prints.append(duplicates.fingerprint(duplicates.Doc(a, x, h, p, i)))
            leads.append(stories.StoryDoc(a, t, x[: stories.LEAD_CHARS], None if o == UNKNOWN_OUTLET else o, p))
    return duplicates.find_copies(prints), stories.cluster_stories(leads)


def with_marks(batch: pa.RecordBatch, copies: dict[str, tuple[str, str]], assigned: dict[str, str]) -> pa.Table:
    """Articles with duplicate_of, duplicate_kind and story_id set."""
    table = pa.table(batch)
    ids_ = [str(a) for a in table["article_id"].to_pylist()]
    values: dict[str, list[str | None]] = {
        "duplicate_of": [copies[a][0] if a in copies else None for a in ids_],
        "duplicate_kind": [copies[a][1] if a in copies else None for a in ids_],
        "story_id": [assigned[a] for a in ids_],
    }
    for name, column in values.items():
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(column, pa.string()))
    return table


def build_outlets(articles: pa.Table, registry: Registry, top: dict[str, list[str]] | None = None) -> pa.Table:
    """One row per outlet_id in ``articles``: registry facts, names seen, counts, dates, wire credits and ``top``
    entities."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cols = ["outlet_id", "source_outlet", "source_domain", "published_at", "word_count", "image_credits"]
    for row in articles.select(cols).to_pylist():
        grouped[str(row["outlet_id"])].append(row)
    top = top or {}
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


def build_stories(articles: pa.Table, outlets: pa.Table, top: dict[str, list[str]]) -> pa.Table:
    """One row per story_id in ``articles``: dates, outlets, counts, a representative title, top entities."""
    names = dict(zip(outlets["outlet_id"].to_pylist(), outlets["name"].to_pylist(), strict=True))
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in articles.select(["story_id", "outlet_id", "published_at", "title", "article_id"]).to_pylist():
        grouped[str(row["story_id"])].append(row)
    rows = []
    for sid in sorted(grouped):
        arts = sorted(grouped[sid], key=lambda a: ids.first_order(a["published_at"], a["article_id"]))
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


def top_entities(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, list[str]]:
    """Most-mentioned named entities per value of an articles column (people, organisations, places ...;
    not dates or numbers), from the relations ``articles`` and ``entities`` of ``con``."""
    named = ", ".join(f"'{label}'" for label in NAME_LABELS)
    query = f"""
        with counts as (
            select a.{key}, e.canonical_name, count(*) as n
            from entities e join articles a using (article_id) where e.label in ({named})
            group by a.{key}, e.canonical_name
        ),
        top as (
            select * from counts
            qualify row_number() over (partition by {key} order by n desc, canonical_name) <= {TOP_ENTITIES}
        )
        select {key}, list(canonical_name order by n desc, canonical_name) as names from top group by {key}"""
    result = con.sql(query).to_arrow_table()
    return {str(value): [str(n) for n in names or []] for value, names in zip(result[key].to_pylist(),
                                                                        result["names"].to_pylist(), strict=True)}


@task(name="aggregate", cache_policy=NONE)
def aggregate_task(merged: Merged, registry: Registry) -> None:
    aggregate(merged, registry)
