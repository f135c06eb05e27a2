"""The entity catalog and the top entities of outlets and stories. The catalog and the outlets' top entities are
summed from the name index (``entity_names``: per label, name and spelling) and the counts per entity and outlet
(``entity_outlets``: ``entity_daily`` summed), far smaller than the mentions they count; a story's top entities are
counted from its articles' mentions, in the months where those changed (``story_top_entities``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from tasks.aggregate import labels, months, sql
from tasks.aggregate.entity_outlets import EVERY_SQL
from tasks.aggregate.months import Months
from tasks.names import display_name
from tasks.schemas import ARTICLES, ENTITIES, ENTITY_CATALOG

if TYPE_CHECKING:
    from tasks.warehouse.commit import Commit

TOP_ENTITIES = 5  # named entities listed per outlet and per story

CATALOG_SQL = f"""
with counts as (select label, name_key, sum(mentions) as n from entity_names where label in ({sql.NAMED}) group by all),
cues as (select name_key, text, cued, mentions as n from entity_names where label = 'PERSON'),
ids as (select distinct label, name_key, entity_id from entity_names),
voted as ({labels.VOTE_SQL}),
spread as (  -- plain aggregates, no DISTINCT: DuckDB spills them to disk past its memory limit
    select entity_id, cast(sum(mentions) as bigint) as mention_count, cast(sum(articles) as bigint) as article_count,
           min(first_day) as first_seen, max(last_day) as last_seen, count(*) as outlet_count
    from entity_outlets group by entity_id
),
spellings as (
    select entity_id, min(canonical_name) as canonical_name, list(text) as spellings
    from (select entity_id, text, min(canonical_name) as canonical_name from entity_names
          where label in ({sql.NAMED}) group by all)
    group by entity_id
)
select entity_id, s.canonical_name, v.label, mention_count, article_count, outlet_count, first_seen, last_seen,
       s.spellings
from spread join voted v using (entity_id) join spellings s using (entity_id)
order by mention_count desc, entity_id
"""


def catalog(daily: pa.Table, names: pa.Table, earlier: pa.Table | None = None) -> pa.Table:
    """One row per named entity (not dates, numbers or amounts): its name, voted label, spellings, and how widely
    and when it was mentioned, from the ``entity_daily`` and ``entity_names`` tables and the labels published
    ``earlier``."""
    published = labels.EARLIER.empty_table() if earlier is None else earlier
    with sql.connect(entity_daily=daily, entity_names=names, earlier=published) as con:
        con.register("entity_outlets", con.sql(EVERY_SQL).to_arrow_table())
        return pa.Table.from_batches(list(catalog_batches(con)), schema=ENTITY_CATALOG)


def catalog_batches(con: duckdb.DuckDBPyConnection) -> Iterator[pa.RecordBatch]:
    """The entity catalog, most mentioned first, from the relations ``entity_outlets``, ``entity_names`` and
    ``earlier`` (``labels.published``) of ``con``."""
    for batch in sql.stream(con, CATALOG_SQL):
        rows = batch.to_pylist()
        for row in rows:
            row["aliases"] = sorted({display_name(t) for t in row.pop("spellings")} - {row["canonical_name"]})
        yield pa.RecordBatch.from_pylist(rows, schema=ENTITY_CATALOG)


# named mentions per key and canonical name: an outlet's from the relations ``entity_outlets`` and ``entity_names``,
# a story's from ``entities`` and ``articles``
TOP_COUNTS = {
    "outlet_id": """select d.outlet_id, n.canonical_name, sum(d.mentions) as n from entity_outlets d
                    join (select distinct entity_id, canonical_name from entity_names) n using (entity_id)
                    group by all""",
    "story_id": f"""select a.story_id, e.canonical_name, count(*) as n
                    from entities e join articles a using (article_id) where e.label in ({sql.NAMED}) group by all""",
}


def top_entities(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, list[str]]:
    """Most-mentioned named entities (people, organisations, places ...; not dates or numbers) per outlet or per
    story (``key``: outlet_id or story_id), from the relations its ``TOP_COUNTS`` reads."""
    query = f"""
        with top as (
            select * from ({TOP_COUNTS[key]})
            qualify row_number() over (partition by {key} order by n desc, canonical_name) <= {TOP_ENTITIES}
        )
        select {key}, list(canonical_name order by n desc, canonical_name) as names from top group by {key}"""
    result = con.sql(query).to_arrow_table()
    return {str(value): [str(n) for n in names or []] for value, names in zip(result[key].to_pylist(),
                                                                        result["names"].to_pylist(), strict=True)}


def story_top_entities(commit: Commit, recount: Months, by_month: bool) -> dict[str, list[str]]:
    """The top entities of the stories of the months ``recount`` names (None: every month), from the version's
    mentions and articles there: a month at a time when the stories are clustered so (``by_month``: a story's
    articles then lie in one month; over 1,024,000 articles at once the query outgrew DuckDB's memory limit)."""
    tables = (("entities", ENTITIES), ("articles", ARTICLES))
    if by_month:
        parts = {name: commit.parts_by_month(name) for name, _ in tables}
        chunks = [{name: parts[name].get(month, []) for name, _ in tables}
                  for month in parts["entities"] if recount is None or month in recount]
    else:
        chunks = [{name: months.parts_in(commit, name, recount) for name, _ in tables}]
    top: dict[str, list[str]] = {}
    for chunk in chunks:
        detail = {name: sql.Parquet(commit.urls(name, chunk[name]), schema) for name, schema in tables}
        with sql.connect(commit.sql_filesystem, **detail) as con:
            top.update(top_entities(con, "story_id"))
    return top
