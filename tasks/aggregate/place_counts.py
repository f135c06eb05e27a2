"""``place_country_daily``: mentions of resolved places per country, outlet and day (for maps), counted from the
committed entities and articles and the run's ``places``, a month at a time; the months a run leaves alone carried."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from tasks.aggregate import months, sql
from tasks.aggregate.months import Months
from tasks.schemas import ARTICLES, ENTITIES, ENTITY_DAILY, PLACE_COUNTRY_DAILY, PLACES

if TYPE_CHECKING:
    from tasks.warehouse import Merged
    from tasks.warehouse.commit import Commit

_COUNT_SQL = """
with recounted as ({recounted}),
per_article as (  -- counted an article at a time, then its articles are rows, not a distinct count: it spills
  select e.article_id, p.country_code, count(*) as mentions
  from entities e join places p using (entity_id)
  where p.country_code in (select country_code from counted){only_recounted}
  group by all)
select m.country_code, r.outlet_id, r.day, sum(m.mentions)::bigint as mentions, count(*) as articles
from per_article m join recounted r using (article_id)
group by all
union all
select * from stored s where s.country_code not in (select country_code from counted){or_elsewhere}
order by day, country_code, outlet_id
"""
_DAY = "cast(a.published_at at time zone 'UTC' as date)"
PLACE_COUNTRY_DAILY_SQL = _COUNT_SQL.format(  # every article's counts of the countries counted
    recounted=f"select a.article_id, a.outlet_id, {_DAY} as day from articles a", only_recounted="",
    or_elsewhere="")
PLACE_COUNTRY_CELLS_SQL = _COUNT_SQL.format(  # those of the articles of the outlets' days (cells) naming a relocated
    # place: no other count changes
    recounted=f"select a.article_id, a.outlet_id, {_DAY} as day from articles a semi join cells c "
              f"on c.outlet_id = a.outlet_id and c.day is not distinct from {_DAY}",
    only_recounted="\n    and e.article_id in (select article_id from recounted)",
    or_elsewhere="\n   or not exists (select 1 from cells c where c.outlet_id = s.outlet_id and c.day is not distinct "
                 "from s.day)")
CELLS_SQL = "select distinct filename, entity_id, outlet_id, day from daily semi join ids using (entity_id)"
MENTION_BYTES_PER_QUERY = 64 * 2**20  # stored mentions (Parquet bytes) one count reads: a million articles' at once
# ran out of DuckDB's memory limit, so months are counted in runs of about this size (a larger month alone)


def write_country_daily(merged: Merged, places: pa.Table, moved: Months,
                        relocated: Collection[tuple[str, str | None]]) -> None:
    """``place_country_daily`` of the months ``moved`` names (None: every month), counted from their mentions and
    articles (``places``); in the other months naming a place ``relocated`` (entity id, country: before and after
    its country changed), the rows of that place's countries counted again in the outlets' days naming it
    (``_named_in``), not every changed country's (a place new in the run's months is in none of them), the other
    rows carried; the other months' parts carried over."""
    commit = merged.commit
    countries: dict[str, set[str]] = {}  # a relocated place's countries, before and after
    for entity_id, country in relocated:
        countries.setdefault(entity_id, set()).update([country] if country else [])
    by_countries: dict[tuple[str, ...], set[str]] = {}  # the months touched so, by the countries counted again there
    cells = {} if moved is None else _named_in(commit, countries)
    for month, (ids, _) in cells.items():
        if moved is not None and month not in moved:
            by_countries.setdefault(tuple(sorted({c for e in ids for c in countries[e]})), set()).add(month)
    touched = {month for held in by_countries.values() for month in held}
    if months.carry(merged, "place_country_daily", None if moved is None else moved | touched) is None:
        moved, by_countries = None, {}  # nothing carried: every month counted
    stored = merged.base.parts_by_month("place_country_daily")
    detail = {name: commit.parts_by_month(name) for name in ("entities", "articles")}
    every = [str(c) for c in pc.unique(places["country_code"].drop_null()).to_pylist()]
    with commit.writer("place_country_daily") as out:
        for chunk in _month_runs(commit, detail["entities"], moved):
            out.write_all(_country_rows(commit, detail, chunk, every, [], None))
        for changed, held in sorted(by_countries.items()):
            for chunk in _month_runs(commit, detail["entities"], frozenset(held)):
                out.write_all(_country_rows(commit, detail, chunk, list(changed),
                                            [p for m in chunk for p in stored.get(m, [])],
                                            [cell for m in chunk if m for cell in cells[m][1]]))


def _named_in(commit: Commit, ids: Collection[str]) -> dict[str, tuple[set[str], set[tuple[str, date | None]]]]:
    """Month -> the entities of ``ids`` named there, and the outlets' days (cells) naming them, from the version's
    ``entity_daily`` (which counts each entity's mentions by outlet and day)."""
    if not ids:
        return {}
    parts = sql.Parquet(commit.urls("entity_daily"), ENTITY_DAILY, filename=True)
    with sql.connect(commit.sql_filesystem, daily=parts, ids=pa.table({"entity_id": sorted(ids)})) as con:
        rows = con.sql(CELLS_SQL).fetchall()
    found: dict[str, tuple[set[str], set[tuple[str, date | None]]]] = {}
    for file, entity_id, outlet_id, day in rows:
        if month := months.month_of_part(str(file)):
            named, held = found.setdefault(month, (set(), set()))
            named.add(str(entity_id))
            held.add((str(outlet_id), day))
    return found


def _month_runs(commit: Commit, parts: Mapping[str | None, list[str]], counted: Months) -> Iterator[list[str | None]]:
    """The months ``counted`` (None: every month, and parts outside any month folder) in runs whose mentions
    (``parts``, by month) hold about ``MENTION_BYTES_PER_QUERY``."""
    run: list[str | None] = []
    size = 0
    for month in sorted((m for m in parts if counted is None or m in counted), key=str):
        found = sum(commit.fs.size(p) for p in parts[month])
        if run and size + found > MENTION_BYTES_PER_QUERY:
            yield run
            run, size = [], 0
        run.append(month)
        size += found
    if run:
        yield run


def _country_rows(commit: Commit, detail: Mapping[str, Mapping[str | None, list[str]]], chunk: list[str | None],
                  countries: list[str], kept: list[str],
                  cells: list[tuple[str, date | None]] | None) -> Iterator[pa.RecordBatch]:
    """``place_country_daily``'s rows of the months ``chunk``: those of ``countries`` counted from the months'
    mentions and articles (``detail``: their parts by month), the others from the stored parts ``kept``. With
    ``cells`` (outlet, day: those naming a place whose country changed), only those are counted: a place named in
    many months would otherwise count its countries' every mention there."""
    read = {name: sql.Parquet(commit.urls(name, [p for m in chunk for p in detail[name].get(m, [])]), schema)
            for name, schema in (("entities", ENTITIES), ("articles", ARTICLES))}
    with sql.connect(commit.sql_filesystem, **read, places=sql.Parquet(commit.urls("places"), PLACES),
                     counted=pa.table({"country_code": pa.array(countries, pa.string())}),
                     stored=sql.Parquet(commit.urls("place_country_daily", kept), PLACE_COUNTRY_DAILY),
                     cells=pa.table({"outlet_id": pa.array([o for o, _ in cells or ()], pa.string()),
                                     "day": pa.array([d for _, d in cells or ()], pa.date32())})) as con:
        yield from sql.stream(con, PLACE_COUNTRY_DAILY_SQL if cells is None else PLACE_COUNTRY_CELLS_SQL)


def country_changed(stored: pa.Table, places: pa.Table) -> set[tuple[str, str | None]]:
    """The entities whose country differs between the committed ``stored`` places and the run's (or that one
    lacks), with their countries before and after."""
    held = [{(str(e), c) for e, c in zip(t["entity_id"].to_pylist(), t["country_code"].to_pylist(), strict=True)}
            for t in (stored, places)]
    return held[0] ^ held[1]
