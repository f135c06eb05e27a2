"""Which months of the partitioned tables a run writes again, and which it carries over as they are.

A month's rows of ``entities``, ``quotes`` and ``entity_pairs`` depend on that month's articles and on what the
aggregate assigns across the warehouse: each mention's entity id, canonical name and label. So a run writes again
the months it touched (an article added or removed there) and the months where that assignment changed for a
mention already stored (a name merged into another entity, a canonical spelling or a label vote that flipped).
Where only canonical names changed, the rows of ``entity_pairs`` and ``quotes`` take the new names as they are, not
counted again, and ``entity_daily``, which holds ids, stays; it is written again where an id changed, and where a
stored article's outlet or original (``duplicate_of``) changed, which ``articles.write_articles`` says. A month
where only a label vote flipped is written again in ``entities`` only, and ``place_evidence`` only where a changed
mention is read as another place (``Rewrite``). The other months' parts are carried over (hard links), which is
what writing them again would give. A rebuild, or a base holding parts outside any month folder (written before
the table was partitioned), writes every month.

Finding the changed months (``reassigned``) compares the committed name index with the run's resolution: the
stored mentions were written with it, so only those of the names it resolves otherwise can change, and those are
read (DuckDB, a few columns) in the months whose ``entity_daily`` counts their earlier entities (every month when one
of them is a date or a number, which that table does not count)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from tasks.aggregate import sql
from tasks.aggregate.name_index import EARLIER_COLUMNS
from tasks.names import NAME_LABELS
from tasks.schemas import ENTITIES, ENTITY_DAILY
from tasks.warehouse import partitions
from tasks.warehouse.snapshot import scan

if TYPE_CHECKING:
    from tasks.warehouse import Merged
    from tasks.warehouse.commit import Commit

log = logging.getLogger(__name__)

Months = frozenset[str] | None  # the months a run writes; None: every month
Facts = Callable[[Months], pa.Table]  # some months' articles: their ids, outlets, dates, stories and months

CHANGED_SQL = """
with changes as (
    select e.filename, n.entity_id is null or e.entity_id is distinct from n.entity_id
               or e.nlp_label is distinct from n.label as moved,
           e.canonical_name is distinct from n.canonical_name as renamed,
           e.label is distinct from n.voted as relabelled, e.label, n.voted, e.model_label, e.text, n.entity_id
    from {base} e left join names n on n.label = coalesce(e.nlp_label, e.label) and n.name_key = e.name_key
)
select filename, label, voted, model_label, text, entity_id, bool_or(moved), bool_or(renamed) from changes
where moved or renamed or relabelled group by filename, label, voted, model_label, text, entity_id
"""
# a changed mention's stored and new label, model label, text, and whether its entity id changed
Spelling = tuple[str | None, str | None, str | None, str, bool]


@dataclass(frozen=True, slots=True)
class Rewrite:
    """The months a run writes again (None: every month): ``touched``, those it added or removed articles in;
    ``moved``, those and the months where a stored mention's entity id changed, whose counts by entity
    (``entity_daily``, ``entity_pairs``) and quotes' speakers are found again; ``named``, those and the months where
    only an entity's canonical name changed, whose rows of those tables holding names (``entity_pairs``, ``quotes``)
    take the new names (``names``: entity_id -> canonical_name) as they are (``renamed``); a label vote that flips
    changes no row of these. ``changed``: the spellings of the stored mentions whose id, name or label changed, by
    month, for ``place_evidence``, which changes only where one of them is read as another place, or names a place
    under another entity."""

    touched: Months
    moved: Months
    named: Months
    changed: Mapping[str, frozenset[Spelling]]
    names: Mapping[str, str]


def touched(merged: Merged) -> set[str]:
    """The months the run added articles to or removed articles from (an article read again is both)."""
    added = {str(m) for batch in merged.commit.staged("articles", ["published_at"])
             for m in partitions.months(batch.column("published_at")).to_pylist()}
    return added | merged.removed_from


def union(written: Months, more: Months) -> Months:
    """The months of both (None: every month, when either is)."""
    return None if written is None or more is None else written | more


def carry(merged: Merged, name: str, rewrite: Collection[str] | None) -> Months:
    """Carry the base version's parts of table ``name`` in the months outside ``rewrite`` into the run's version,
    and say which months the run writes: ``rewrite``, or every month (None, nothing carried) when ``rewrite`` is
    None, a part of the base is outside any month folder, or the base holds articles but no part of the table."""
    by_month = merged.base.parts_by_month(name)
    if rewrite is None or None in by_month or (not by_month and merged.base.num_rows("articles")):
        return None  # nothing carried: every month, or a table the base does not hold yet
    carried = [month for month in by_month if month not in rewrite]
    merged.commit.keep(name, [part for month in carried for part in by_month[month]])
    log.info("%s: %d months written again, %d carried over", name, len(set(by_month) - set(carried)), len(carried))
    return frozenset(rewrite)


def held(parts: Mapping[str | None, list[str]], months: Months) -> list[str]:
    """The months of ``months`` (None: all) among those of ``parts`` (a table's parts by month), in order, undated
    last."""
    found = [m for m in parts if m is not None and (months is None or m in months)]
    return sorted(found, key=lambda m: (m == partitions.UNDATED, m))


def parts_in(commit: Commit, name: str, months: Months, outside: bool = False) -> list[str]:
    """The parts of table ``name`` written to the version so far in ``months`` (None: all of them; with
    ``outside``, also those outside any month folder)."""
    return [part for month, parts in commit.parts_by_month(name).items()
            if months is None or month in months or (outside and month is None) for part in parts]


def reassigned(merged: Merged, names: Mapping[tuple[str, str], tuple[str, str]], labels: Mapping[str, str],
               touched: Collection[str], index: pa.Table | None = None) -> Rewrite:
    """What the run writes again (``Rewrite``) in the months it ``touched`` and in the others holding a stored
    mention whose entity id, canonical name or label the run's resolution (``names``: (own label, name key) ->
    (entity_id, canonical_name); ``labels``: a named entity's voted label) no longer gives it; DuckDB reads the few
    columns it compares of those months' parts. Given the committed name ``index``, only the mentions of the names
    it resolves otherwise are read, in the months holding them (``_moved_names``)."""
    parts = _stored(merged, "entities", touched)
    rows: list[tuple[str, str | None, str | None, str | None, str, str | None, bool, bool]] = []
    wanted, held = _moved_names(merged, index, names, labels) if index is not None else (None, None)
    if held is not None:
        parts = [part for part in parts if month_of_part(part) in held]
    if parts and (wanted is None or wanted.num_rows):
        relations: dict[str, sql.Parquet | pa.Table] = {
            "base": sql.Parquet(merged.commit.urls("entities", parts), ENTITIES, filename=True),
            "names": _names_table(names, labels)}
        if wanted is not None:
            relations["keys"] = wanted
        with sql.connect(merged.commit.sql_filesystem, **relations) as con:
            rows = con.sql(CHANGED_SQL.format(base="base" if wanted is None else KEYED)).fetchall()
    changed: dict[str, set[Spelling]] = {}
    moved: set[str] = set(touched)  # months where an id changed
    named: set[str] = set(touched)  # months where an id or a canonical name changed
    renamed: set[str] = set()  # entities whose canonical name changed where their mentions did not move
    for file, label, voted, model_label, text, entity_id, moved_here, renamed_here in rows:
        if not (month := month_of_part(str(file))):
            continue
        changed.setdefault(month, set()).add((label, voted, model_label, str(text), bool(moved_here)))
        if moved_here:
            moved.add(month)
        elif renamed_here:
            renamed.add(str(entity_id))
        if moved_here or renamed_here:
            named.add(month)
    return Rewrite(frozenset(touched), frozenset(moved), frozenset(named),
                   {month: frozenset(spellings) for month, spellings in changed.items()},
                   {entity_id: name for entity_id, name in names.values() if entity_id in renamed})


# the stored mentions of the names ``keys`` holds (label, name_key)
KEYED = ("(select * from base e semi join keys k on k.label = coalesce(e.nlp_label, e.label) "
         "and k.name_key = e.name_key)")


def _names_table(names: Mapping[tuple[str, str], tuple[str, str]], labels: Mapping[str, str]) -> pa.Table:
    """The run's resolution as the relation ``names`` of ``CHANGED_SQL``: own label, name key, entity id, canonical
    name, and the label the mentions take (``voted``: the entity's vote for a named thing)."""
    keys = list(names)
    own = [label for label, _ in keys]
    return pa.table({"label": own, "name_key": [key for _, key in keys],
                     "entity_id": [names[k][0] for k in keys], "canonical_name": [names[k][1] for k in keys],
                     "voted": [labels.get(names[k][0], label) if label in NAME_LABELS else label
                               for k, label in zip(keys, own, strict=True)]})


def _moved_names(merged: Merged, index: pa.Table, names: Mapping[tuple[str, str], tuple[str, str]],
                 labels: Mapping[str, str]) -> tuple[pa.Table, frozenset[str] | None]:
    """The names (label, name_key) the committed ``index`` resolves to another entity id or canonical name than the
    run's ``names`` do, or whose entity's label vote (``labels``; the committed one: ``entity_catalog``) changed:
    the stored mentions were written with the index, so only theirs can change. And the months holding them, from
    the committed ``entity_daily`` (by the entity ids they had), or None when one is not a named thing's (a date, a
    number), which that table does not count."""
    catalog = merged.base.read("entity_catalog", ["entity_id", "label"])
    voted = dict(zip(catalog["entity_id"].to_pylist(), catalog["label"].to_pylist(), strict=True))
    moved: set[tuple[str, str]] = set()
    ids: set[str] = set()
    for label, key, entity_id, name in zip(*(index[c].to_pylist() for c in EARLIER_COLUMNS), strict=True):
        now = names.get((label, key))
        named = label in NAME_LABELS
        if now != (entity_id, name) or (named and now and voted.get(entity_id) != labels.get(now[0], label)):
            moved.add((label, key))
            ids.add(entity_id)
    keys = pa.table({"label": [m[0] for m in moved], "name_key": [m[1] for m in moved]},
                    schema=pa.schema([("label", pa.string()), ("name_key", pa.string())]))
    if any(label not in NAME_LABELS for label, _ in moved):
        return keys, None
    return keys, frozenset(counted_in(merged.commit, merged.base.parts("entity_daily"), ids))


def counted_in(commit: Commit, daily: list[str], ids: Collection[str]) -> dict[str, set[str]]:
    """Month -> the entities of ``ids`` its parts of ``entity_daily`` (``daily``: the version's, or its base's)
    count, for the months counting one."""
    if not ids:
        return {}
    parts = sql.Parquet(commit.urls("entity_daily", daily), ENTITY_DAILY, filename=True)
    with sql.connect(commit.sql_filesystem, daily=parts, ids=pa.table({"entity_id": sorted(ids)})) as con:
        rows = con.sql("select distinct filename, entity_id from daily semi join ids using (entity_id)").fetchall()
    found: dict[str, set[str]] = {}
    for f, entity_id in rows:
        if month := month_of_part(str(f)):
            found.setdefault(month, set()).add(str(entity_id))
    return found


def carry_named(merged: Merged, name: str, rewrite: Rewrite,
                ids: Mapping[str, str]) -> tuple[Months, Iterator[pa.Table]]:
    """Carry the base version's parts of table ``name`` outside the months ``rewrite`` names, and say which months
    are counted again (those where an entity id changed; None: every month), with the rows of the others, where only
    canonical names changed, as they are but for each name column of ``ids`` (name column -> its id column), set to
    its entity's new name."""
    if carry(merged, name, rewrite.named) is None or rewrite.named is None or rewrite.moved is None:
        return None, iter(())
    return rewrite.moved, _renamed(merged, name, rewrite.named - rewrite.moved, rewrite.names, ids)


def _renamed(merged: Merged, name: str, named: Collection[str], names: Mapping[str, str],
             ids: Mapping[str, str]) -> Iterator[pa.Table]:
    keys, values = pa.array(list(names), pa.string()), pa.array(list(names.values()), pa.string())
    parts = merged.base.parts_by_month(name)
    by_month = partitions.BY_COLUMN.get(name) == partitions.KEY  # its rows are filed by a month column
    for month in held(parts, frozenset(named)):
        for batch in scan(merged.base.out, name, parts[month]):
            table = pa.table(batch)
            for column, id_column in ids.items():
                found = pc.coalesce(pc.take(values, pc.index_in(table[id_column], keys)), table[column])
                assert isinstance(found, pa.ChunkedArray)
                table = table.set_column(table.schema.get_field_index(column), column, found)
            yield table.append_column(partitions.KEY, pa.array([month] * table.num_rows, pa.string())) \
                if by_month else table


def _stored(merged: Merged, name: str, skip: Collection[str]) -> list[str]:
    """The base version's parts of table ``name`` in month folders outside ``skip``."""
    return [part for month, parts in merged.base.parts_by_month(name).items() if month is not None
            and month not in skip for part in parts]


def month_of_part(file: str) -> str | None:
    """The month folder of a part (a path or URL), if it lies in one."""
    return partitions.of_part("/".join(file.rsplit("/", 2)[-2:]))
