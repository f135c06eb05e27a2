"""A run's copies found among the stored articles, without holding every stored signature in memory.

Copies form groups: the articles joined, directly or through others, by an exact or near copy (``duplicates``),
each group marked by its original. A stored group changes only where a run's article is a copy of one of its
members, or where one of its members is replaced. So a run looks up, with DuckDB over the stored articles'
``content_hash`` and ``minhash``, the stored articles that share a content hash or an LSH band with one of its own
(``duplicates.band_keys``), keeps those that are copies (``duplicates.is_copy``), and finds the copies again among
its own articles and every member of those groups and of the groups a replaced article leaves. Every other stored
article keeps its marks. That is what a rebuild gives it: a group is a connected part of the copy relation,
whatever order its articles came in, and no copy joins two stored groups (they would be one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from tasks.aggregate import duplicates, sql
from tasks.schemas import ARTICLES
from tasks.warehouse import partitions

if TYPE_CHECKING:
    from tasks.warehouse import Merged

MEMBER_COLUMNS = ["article_id", "content_hash", "published_at", "ingested_at", "minhash", "duplicate_of",
                  "duplicate_kind"]  # the columns read: not the texts
KEPT = f"select {', '.join(MEMBER_COLUMNS)} from base anti join removed using (article_id)"
LEFT_SQL = "select distinct coalesce(duplicate_of, article_id) from base semi join removed using (article_id)"
CANDIDATES_SQL = f"""
select p.article_id as probe, k.article_id, k.content_hash, k.published_at, k.ingested_at, k.minhash,
       coalesce(k.duplicate_of, k.article_id) as original
from (select *, if(band < 0, encode(content_hash),
                   minhash[band * {4 * duplicates.BAND_ROWS} + 1 : (band + 1) * {4 * duplicates.BAND_ROWS}]) as key
      from ({KEPT}) cross join range(-1, {duplicates.BANDS}) bands(band)) k
join probes p on p.band = k.band and p.key = k.key
"""  # one scan: a stored article's rows carry what is_copy reads, matched to a probe on a band (-1: the content hash)
MEMBERS_SQL = f"select * from ({KEPT}) k semi join groups g on coalesce(k.duplicate_of, k.article_id) = g.original"
_PROBES = pa.schema([ARTICLES.field("article_id"), pa.field("band", pa.int64()),
                     ARTICLES.field("minhash").with_name("key")])
Mark = tuple[str | None, str | None]  # duplicate_of, duplicate_kind


@dataclass(frozen=True, slots=True)
class Regrouped:
    """The copy marks of the groups a run changed: ``copies``, article_id -> (original, kind) of each copy among
    ``members`` (the run's articles and the stored members of those groups); ``remarked``, the months holding a
    stored member whose marks changed."""

    copies: dict[str, tuple[str, str]]
    members: frozenset[str]
    remarked: frozenset[str]


def stored_articles(merged: Merged, filename: bool = False) -> sql.Parquet:
    """The base version's articles as a DuckDB relation (with the column ``filename``, their part, if asked)."""
    return sql.Parquet(merged.commit.urls("articles", merged.base.parts("articles")), ARTICLES, filename)


def regroup(merged: Merged, added: Sequence[duplicates.Fingerprint]) -> Regrouped:
    """The groups of copies that the run's ``added`` articles join, or that an article it replaces leaves, found
    again over their members. The stored articles must all have a signature (``articles.minhash`` not null)."""
    removed = sorted(merged.removed)
    probes = [{"article_id": f.article_id, "band": band, "key": key} for f in added
              for band, key in [(-1, f.content_hash.encode()), *enumerate(duplicates.band_keys(f.signature))]]
    relations: dict[str, sql.Parquet | pa.Table] = {"base": stored_articles(merged),
                 "removed": pa.table({"article_id": pa.array(removed, pa.string())}),
                 "probes": pa.Table.from_pylist(probes, schema=_PROBES)}
    by_id = {f.article_id: f for f in added}
    with sql.connect(merged.commit.sql_filesystem, **relations) as con:
        sql.on_every_core(con)  # the stored articles meet the run's few probes and groups
        groups = {str(row[0]) for row in con.sql(LEFT_SQL).fetchall()} if removed else set()
        candidates = con.sql(CANDIDATES_SQL).to_arrow_table()
        seen: set[tuple[str, str]] = set()  # a pair is found once per band it shares
        for probe, a, h, p, i, m, original in zip(*candidates.to_pydict().values(), strict=True):
            if (probe, a) in seen or original in groups:
                continue
            seen.add((probe, a))
            if duplicates.is_copy(by_id[probe], duplicates.fingerprint(duplicates.Doc(a, "", h, p, i), m)):
                groups.add(original)
        con.register("groups", pa.table({"original": pa.array(sorted(groups), pa.string())}))
        members = con.sql(MEMBERS_SQL).to_arrow_table() if groups else ARTICLES.empty_table().select(MEMBER_COLUMNS)
    marked: dict[str, Mark] = {}
    prints = list(added)
    for a, h, p, i, m, of, kind in zip(*members.to_pydict().values(), strict=True):
        prints.append(duplicates.fingerprint(duplicates.Doc(a, "", h, p, i), m))
        marked[a] = (of, kind)
    copies = duplicates.find_copies(prints)
    months = partitions.months(members["published_at"]).to_pylist()
    remarked = {str(month) for a, month in zip(marked, months, strict=True) if copies.get(a, (None, None)) != marked[a]}
    return Regrouped(copies, frozenset(f.article_id for f in prints), frozenset(remarked))
