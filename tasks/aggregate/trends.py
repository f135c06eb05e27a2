"""Entity trends for dashboards, computed by DuckDB over Arrow tables or the warehouse's parts (no pandas, no
Python loops): entity_daily (entity × outlet × day) and entity_pairs (co-mentions within an article and within a
sentence, per month).

Both are counted a month at a time (``write_daily``, ``write_pairs``: a run counts again only the months it
writes, and a query holds one month), pairs within a month in buckets of the first entity's id (``pair_batches``):
a bucket's pairs are those of its entities only, so the buckets' rows are the whole table, and each bucket's
aggregate holds a share of the pairs. All at once, the pairs of a replicated 102,400-article warehouse ran out of
the aggregate's DuckDB memory limit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from tasks.aggregate import months, sql
from tasks.aggregate.months import Months
from tasks.schemas import ARTICLES, ENTITIES, ENTITY_DAILY, ENTITY_PAIRS, SENTENCES

if TYPE_CHECKING:
    from tasks.warehouse.commit import Commit

MENTIONS_PER_PAIR_BUCKET = 1_000_000  # named mentions whose pairs one query counts, within the DuckDB memory limit

ENTITY_DAILY_SQL = f"""
with by_sentence as (  -- plain aggregates, no DISTINCT: DuckDB spills them to disk past its memory limit
    select entity_id, article_id, sentence_index, count(*) as mentions from entities where label in ({sql.NAMED})
    group by all
),
by_article as (  -- the tone of each sentence that mentions it once, however many times it does
    select b.entity_id, b.article_id, sum(b.mentions) as mentions, sum(s.tone) as tone_sum, count(s.tone) as toned
    from by_sentence b left join sentences s using (article_id, sentence_index)
    group by all
)
select b.entity_id, a.outlet_id, cast(a.published_at at time zone 'UTC' as date) as day,
       cast(sum(b.mentions) as bigint) as mentions, count(*) as articles,
       cast(sum(case when a.original then b.mentions else 0 end) as bigint) as mentions_excl_duplicates,
       cast(sum(case when a.original then 1 else 0 end) as bigint) as articles_excl_duplicates,
       sum(b.tone_sum) / nullif(sum(b.toned), 0) as tone
-- the join carries a copy flag, not each copy's original id: with the ids, the undated month of 1,024,000
-- replicated articles (115,200, nearly all of them copies) ran out of DuckDB's memory limit
from by_article b
join (select article_id, outlet_id, published_at, duplicate_of is null as original from articles) a using (article_id)
group by all
"""

ENTITY_PAIRS_SQL = f"""
with named as not materialized (
    select distinct article_id, sentence_index, entity_id, canonical_name from entities where label in ({sql.NAMED})
),
first as not materialized (  -- the bucket's share of entity_a
    select * from named where hash(entity_id) % {{buckets}} = {{bucket}}
),
in_article as (
    select x.entity_id as entity_a, y.entity_id as entity_b, x.canonical_name as name_a, y.canonical_name as name_b,
           count(*) as article_count  -- x and y hold an entity once per article
    from (select distinct article_id, entity_id, canonical_name from first) x
    join (select distinct article_id, entity_id, canonical_name from named) y
      on x.article_id = y.article_id and x.entity_id < y.entity_id
    group by all
),
in_sentence as (
    select x.entity_id as entity_a, y.entity_id as entity_b, count(*) as sentence_count
    from first x join named y
      on x.article_id = y.article_id and x.sentence_index = y.sentence_index and x.entity_id < y.entity_id
    group by all
)
select p.entity_a, p.entity_b, p.name_a, p.name_b, p.article_count, coalesce(s.sentence_count, 0) as sentence_count
from in_article p left join in_sentence s using (entity_a, entity_b)
"""


def daily_batches(con: duckdb.DuckDBPyConnection) -> Iterator[pa.RecordBatch]:
    """entity_daily from the relations ``articles``, ``entities`` and ``sentences`` of ``con``, in day order."""
    yield from sql.stream(con, ENTITY_DAILY_SQL + " order by day, entity_id, outlet_id")


def pair_batches(con: duckdb.DuckDBPyConnection, month: str | None = None) -> Iterator[pa.RecordBatch]:
    """entity_pairs from the relation ``entities`` of ``con``, bucket by bucket, in no particular order (sorting
    millions of pairs failed in DuckDB at its memory limit); with a column ``month`` when given."""
    buckets = sql.buckets(con, f"select count(*) from entities where label in ({sql.NAMED})", MENTIONS_PER_PAIR_BUCKET)
    for bucket in range(buckets):
        query = ENTITY_PAIRS_SQL.format(buckets=buckets, bucket=bucket)
        yield from sql.stream(con, query if month is None else f"select *, '{month}' as month from ({query})")


def write_daily(commit: Commit, rewrite: Months) -> None:
    """entity_daily of the months ``rewrite`` names (None: every month), a month at a time from that month's
    articles, mentions and sentences in the version (``commit``): a day's rows come from the articles published
    that day."""
    tables = {"articles": ARTICLES, "entities": ENTITIES, "sentences": SENTENCES}
    parts = {name: commit.parts_by_month(name) for name in tables}
    with commit.writer("entity_daily") as daily:
        for month in months.held(parts["entities"], rewrite):
            detail = {name: sql.Parquet(commit.urls(name, parts[name].get(month, [])), schema)
                      for name, schema in tables.items()}
            with sql.connect(commit.sql_filesystem, **detail) as con:
                daily.write_all(daily_batches(con))


def write_pairs(commit: Commit, rewrite: Months, renamed: Iterable[pa.Table] = ()) -> None:
    """entity_pairs of the months ``rewrite`` names (None: every month), each month's from that month's mentions in
    the version (``commit``): a pair's counts are per month, and add up over months; and the ``renamed`` rows, of
    months where only names changed (``months.renamed``)."""
    parts = commit.parts_by_month("entities")
    with commit.writer("entity_pairs") as pairs:
        for month in months.held(parts, rewrite):
            entities = sql.Parquet(commit.urls("entities", parts[month]), ENTITIES)
            with sql.connect(commit.sql_filesystem, entities=entities) as con:
                pairs.write_all(pair_batches(con, month))
        pairs.write_all(renamed)


TABLES = {"entity_daily": (daily_batches, ENTITY_DAILY), "entity_pairs": (pair_batches, ENTITY_PAIRS)}  # over Arrow


def entity_trends(articles: pa.Table, entities: pa.Table, sentences: pa.Table) -> dict[str, pa.Table]:
    """entity_daily and entity_pairs from the articles, (resolved) entities and sentences tables."""
    out = {}
    for name, (batches, schema) in TABLES.items():
        with sql.connect(articles=articles, entities=entities, sentences=sentences) as con:
            rows = list(batches(con))
        table = pa.Table.from_batches(rows) if rows else schema.empty_table()
        out[name] = table.select(schema.names).cast(schema)
    return out
