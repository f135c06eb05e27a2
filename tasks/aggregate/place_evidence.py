"""The evidence each month's articles give about where the places they name are (table ``place_evidence``), and its
sum over the warehouse, which ``places`` are resolved from.

A place entity's evidence adds up over its articles (``places.pool``), and an article's evidence depends only on its
own mentions (their spellings, labels and entities) and its outlet's country. So each month's evidence is stored,
and a run counts again only the months it touched, those where an article's outlet or original changed, and those
where a stored mention whose entity or label changed names a place (``place_tables.write_places``); the other
months' sums are read back, not their mentions. Should an outlet's country change in the registry, every month is
counted again (``outlets.changed_outlets``).

The sum over every month is kept too (``place_evidence_totals``): a run takes from it the stored evidence of the
months it writes again and adds theirs anew, reading those months, not every month of the warehouse."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.aggregate import sql
from tasks.aggregate.months import Months
from tasks.aggregate.places import Evidence
from tasks.schemas import PLACE_EVIDENCE, PLACE_EVIDENCE_TOTALS, TABLES
from tasks.warehouse.snapshot import Snapshot, arrow_fs

if TYPE_CHECKING:
    from tasks.warehouse import Merged
    from tasks.warehouse.commit import Commit

RULES = b"place_evidence_rules"  # the totals' mark of the rules their evidence was counted under (schemas)
TOTALS_SQL = """
select entity_id, kind, key, cast(sum(n) as bigint) as n
from (select * from totals union all select entity_id, kind, key, -n from replaced
      union all select entity_id, kind, key, n from written) {only}
group by all having sum(n) <> 0
order by entity_id, kind, key
"""


def table(pooled: Mapping[str, Evidence], month: str) -> pa.Table:
    """One month's evidence as rows (entity_id, kind, key, n), with the ``month`` the writer files them under."""
    rows: list[tuple[str, str, str, int]] = []
    for entity_id in sorted(pooled):
        ev = pooled[entity_id]
        rows.append((entity_id, "articles", "", ev.articles))
        rows += [(entity_id, "name", name, n) for name, n in ev.names.items()]
        rows += [(entity_id, "country", cc, n) for cc, n in ev.countries.items()]
        rows += [(entity_id, "region", f"{cc}/{a1}", n) for (cc, a1), n in ev.regions.items()]
        rows += [(entity_id, "qualifier", f"{cc}/{a1 or ''}", n) for (cc, a1), n in ev.qualifiers.items()]
        rows += [(entity_id, "outlet_country", cc, n) for cc, n in ev.outlet_countries.items()]
        rows += [(entity_id, "doubted", "", ev.doubted)] if ev.doubted else []
        rows += [(entity_id, "doubted_name", name, n) for name, n in ev.doubted_names.items()]
        rows += [(entity_id, "doubted_region", f"{cc}/{a1}", n) for (cc, a1), n in ev.doubted_regions.items()]
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    out = pa.table(dict(zip(PLACE_EVIDENCE.names, columns, strict=True)), schema=PLACE_EVIDENCE)
    return out.append_column("month", pa.array([month] * out.num_rows, pa.string()))


def summed(commit: Commit, only: Collection[str] | None = None) -> dict[str, Evidence]:
    """Each entity's evidence (``only`` those entities, if given) summed over the months of ``place_evidence``
    written to the version so far."""
    with sql.connect(commit.sql_filesystem, **_every_month(commit)) as con:
        return _pooled(con, only)


def carried(merged: Merged, rewrite: Months, only: Collection[str]) -> dict[str, Evidence]:
    """The evidence of the entities ``only`` summed over the months outside ``rewrite`` (None: every month, so
    none): the committed totals less the stored evidence of the months ``rewrite`` names. The committed evidence must
    count under these rules (``counted_under_these_rules``: its totals are kept), else every month is counted again."""
    if rewrite is None:
        return {}
    with _totals(merged, rewrite, False) as con:
        return _pooled(con, only)


def write_totals(merged: Merged, rewrite: Months) -> None:
    """``place_evidence_totals``: the committed totals, less the stored evidence of the months ``rewrite`` names,
    plus the version's of those months (written by now); every month of the version summed where ``rewrite`` is
    None."""
    with _totals(merged, rewrite, True) as con:
        merged.commit.writer("place_evidence_totals").write_all(sql.stream(con, TOTALS_SQL.format(only=""))).close()


def counted_under_these_rules(base: Snapshot) -> bool:
    """Whether the evidence ``base`` stores was counted under the rules of this version (the rules mark of
    ``place_evidence_totals``), or it stores none; evidence from before its totals were kept was not."""
    if not (totals := base.parts("place_evidence_totals")):
        return not base.parts("place_evidence")
    written = pq.read_schema(totals[0], filesystem=arrow_fs(base.out)).metadata or {}
    return written.get(RULES) == (TABLES["place_evidence_totals"].metadata or {}).get(RULES)


def _pooled(con: duckdb.DuckDBPyConnection, only: Collection[str] | None) -> dict[str, Evidence]:
    """``TOTALS_SQL``'s sums on ``con`` (of the entities ``only``, if given) as each entity's evidence."""
    query = TOTALS_SQL.format(only="")
    if only is not None:
        con.register("chosen", pa.table({"entity_id": pa.array(sorted(only), pa.string())}))
        query = TOTALS_SQL.format(only="t semi join chosen using (entity_id)")
    pooled: dict[str, Evidence] = defaultdict(Evidence)
    for batch in sql.stream(con, query):
        for entity_id, kind, key, n in zip(*batch.to_pydict().values(), strict=True):
            _add(pooled[entity_id], kind, key, n)
    return dict(pooled)


def _every_month(commit: Commit) -> dict[str, sql.Parquet]:
    """``TOTALS_SQL``'s relations for a sum over every month of the version's ``place_evidence``."""
    empty = sql.Parquet([], PLACE_EVIDENCE)
    return {"totals": sql.Parquet(commit.urls("place_evidence"), PLACE_EVIDENCE), "replaced": empty, "written": empty}


def _totals(merged: Merged, rewrite: Months, written: bool) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A connection with the relations of ``TOTALS_SQL``: the committed totals, the stored evidence of the months
    ``rewrite`` names and (``written``) the version's; every month of the version as the totals when ``rewrite``
    is None."""
    commit, base = merged.commit, merged.base
    if rewrite is None:
        return sql.connect(commit.sql_filesystem, **_every_month(commit))
    stored, now = base.parts_by_month("place_evidence"), commit.parts_by_month("place_evidence")
    return sql.connect(
        commit.sql_filesystem,
        totals=sql.Parquet(commit.urls("place_evidence_totals", base.parts("place_evidence_totals")),
                           PLACE_EVIDENCE_TOTALS),
        replaced=sql.Parquet(commit.urls("place_evidence", [p for m in rewrite for p in stored.get(m, [])]),
                             PLACE_EVIDENCE),
        written=sql.Parquet(commit.urls("place_evidence", [p for m in rewrite for p in now.get(m, [])])
                            if written else [], PLACE_EVIDENCE))


def _add(ev: Evidence, kind: str, key: str, n: int) -> None:
    if kind == "articles":
        ev.articles += n
    elif kind == "doubted":
        ev.doubted += n
    elif kind == "name":
        ev.names[key] += n
    elif kind == "doubted_name":
        ev.doubted_names[key] += n
    elif kind == "country":
        ev.countries[key] += n
    elif kind == "outlet_country":
        ev.outlet_countries[key] += n
    else:
        cc, _, a1 = key.partition("/")
        if kind == "region":
            ev.regions[(cc, a1)] += n
        elif kind == "doubted_region":
            ev.doubted_regions[(cc, a1)] += n
        else:
            ev.qualifiers[(cc, a1 or None)] += n
