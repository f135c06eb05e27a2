"""The label of each named entity: the one most of its mentions carry across the warehouse, except that a platform
or publication the model calls a person is an organisation. A published label stays while its mentions are at least
half the winner's (``RELABEL_FACTOR``), as a canonical name does (``entities.RENAME_FACTOR``), and a published
platform while half the share of its mentions the rule asks follow "on" or "via": a near tie, or a share near the
rule's, would otherwise flip with every run, and every month naming the entity be written again.

Both figures add up over mentions, so they are counted where the mentions are (per name, not per mention) and only
then joined to the entity ids; the "on"/"via" cue needs each person mention's article text, so articles are read in
buckets of about ``BUCKET_BYTES`` of text: a warehouse's whole text no longer has to fit in the aggregate's DuckDB
memory limit (joined at once, 100,000 articles ran out of it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from tasks.aggregate import sql

if TYPE_CHECKING:
    from tasks.warehouse.snapshot import Snapshot

BUCKET_BYTES = 32 * 1024 * 1024  # article text held at once by the cue query
# a quarter of an entity's "person" mentions, and two at least, right after "on" or "via" ("on Twitter", "via
# Reuters", "on Oahu"): not a person, though the model says so; a person is named so in a few percent of mentions
# at most ("sanctions on Putin")
MIN_CUED, CUED_SHARE = 2, 0.25
RELABEL_FACTOR = 2  # a published label gives way to one this many times as mentioned
EARLIER = pa.schema({"entity_id": pa.string(), "label": pa.string()})  # the relation ``earlier``: published labels

_CUE = r"regexp_matches(substr(a.text, greatest(p.char_start - 4, 0) + 1, least(p.char_start, 4)), '(^|\W)(on|via) $')"


def entity_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """entity_id -> label, from the relations ``mentions`` (article_id, char_start, label, name_key, text; read
    once), ``ids`` (label, name_key, entity_id) and ``articles`` (article_id, text) of ``con``."""
    con.execute(f"create temp table named as select article_id, char_start, label, name_key, text from mentions "
                f"where label in ({sql.NAMED})")
    con.execute("create temp table counts as select label, name_key, count(*) as n from named group by all")
    con.register("cues", cue_counts(con, "named"))
    return vote(con)


def cue_counts(con: duckdb.DuckDBPyConnection, mentions: str = "mentions") -> pa.Table:
    """(name_key, text, cued, n) of the person mentions of the relation ``mentions`` (article_id, char_start, label,
    name_key, text): how many follow "on" or "via" in their article's text (relation ``articles``)."""
    con.execute(f"create or replace temp table people as select article_id, char_start, name_key, text "
                f"from {mentions} where label = 'PERSON'")
    con.execute("create or replace temp table cue_counts (name_key varchar, text varchar, cued bigint, n bigint)")
    buckets = sql.buckets(con, "select sum(strlen(text)) from articles", BUCKET_BYTES)
    for bucket in range(buckets):
        con.execute(f"""
            insert into cue_counts select p.name_key, p.text, count(*) filter (where {_CUE}), count(*)
            from (select * from people where hash(article_id) % {buckets} = {bucket}) p
            join (select article_id, text from articles where hash(article_id) % {buckets} = {bucket}) a
            using (article_id)
            group by all""")
    return con.sql("select name_key, text, sum(cued)::bigint as cued, sum(n)::bigint as n from cue_counts "
                   "group by all").to_arrow_table()


VOTE_SQL = f"""
with cued as (
    select i.entity_id, sum(c.cued) as cued, sum(c.n) as n
    from (select name_key, sum(cued) as cued, sum(n) as n from cues group by all) c
    join ids i on i.label = 'PERSON' and i.name_key = c.name_key
    group by i.entity_id
),
tallies as (select i.entity_id, c.label, sum(c.n) as n from counts c join ids i using (label, name_key) group by all),
voted as (  -- on a tie, the last label alphabetically
    select entity_id, first(label order by n desc, label desc) as label, max(n) as n from tallies group by entity_id
),
held as (  -- the published label, while its own mentions are at least 1 / RELABEL_FACTOR of the winner's
    select v.entity_id, e.label as published,
           case when t.n * {RELABEL_FACTOR} > v.n then t.label else v.label end as label
    from voted v left join earlier e using (entity_id) left join tallies t on t.entity_id = v.entity_id
                                                                        and t.label = e.label
)
-- a platform: a published organisation stays one while its cued share is half the rule's
select h.entity_id, case when h.label = 'PERSON' and c.cued >= {MIN_CUED}
                              and c.cued * (case when h.published = 'ORG' then {RELABEL_FACTOR} else 1 end)
                                  >= {CUED_SHARE} * c.n then 'ORG'
                         else h.label end as label
from held h left join cued c using (entity_id)"""


def vote(con: duckdb.DuckDBPyConnection, earlier: pa.Table | None = None) -> dict[str, str]:
    """entity_id -> label, from the relations ``counts`` (label, name_key, n: named mentions), ``cues`` (name_key,
    text, cued, n: ``cue_counts``) and ``ids`` (label, name_key, entity_id) of ``con``, and the labels ``earlier``
    published (``published``; none: a first vote)."""
    con.register("earlier", EARLIER.empty_table() if earlier is None else earlier)
    return dict(con.sql(VOTE_SQL).fetchall())


def published(base: Snapshot) -> pa.Table:
    """The labels the committed version published (the relation ``earlier`` of ``VOTE_SQL``): its catalog's, which
    are its mentions' (a rebuild reads them too, so that it gives the labels the runs gave)."""
    return base.read("entity_catalog", EARLIER.names).cast(EARLIER)
