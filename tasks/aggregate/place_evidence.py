"""The evidence each month's articles give about where the places they name are (table ``place_evidence``), and its
sum over the warehouse, which ``places`` are resolved from.

A place entity's evidence adds up over its articles (``places.pool``), and an article's evidence depends only on its
own mentions (their spellings, labels and entities) and its outlet's country. So each month's evidence is stored,
and a run counts again only the months it touched, those where an article's outlet or original changed, and those
where a stored mention whose entity or label changed names a place (``place_tables.write_places``); the other
months' sums are read back, not their mentions. Should an outlet's country change in the registry, every month is
counted again (``outlets.changed``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import pyarrow as pa

from tasks.aggregate import sql
from tasks.aggregate.places import Evidence
from tasks.schemas import PLACE_EVIDENCE

if TYPE_CHECKING:
    from tasks.warehouse.commit import Commit

SUM_SQL = "select entity_id, kind, key, cast(sum(n) as bigint) from evidence {only} group by all"


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
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), ()]
    out = pa.table(dict(zip(PLACE_EVIDENCE.names, columns, strict=True)), schema=PLACE_EVIDENCE)
    return out.append_column("month", pa.array([month] * out.num_rows, pa.string()))


def summed(commit: Commit, only: Collection[str] | None = None) -> dict[str, Evidence]:
    """Each entity's evidence (``only`` those entities, if given) summed over the months of ``place_evidence``
    written to the version so far."""
    pooled: dict[str, Evidence] = defaultdict(Evidence)
    evidence = sql.Parquet(commit.urls("place_evidence"), PLACE_EVIDENCE)
    chosen = {} if only is None else {"chosen": pa.table({"entity_id": pa.array(sorted(only), pa.string())})}
    query = SUM_SQL.format(only="" if only is None else "semi join chosen using (entity_id)")
    with sql.connect(commit.sql_filesystem, evidence=evidence, **chosen) as con:
        for batch in sql.stream(con, query):
            for entity_id, kind, key, n in zip(*batch.to_pydict().values(), strict=True):
                _add(pooled[entity_id], kind, key, n)
    return dict(pooled)


def _add(ev: Evidence, kind: str, key: str, n: int) -> None:
    if kind == "articles":
        ev.articles += n
    elif kind == "name":
        ev.names[key] += n
    elif kind == "country":
        ev.countries[key] += n
    elif kind == "outlet_country":
        ev.outlet_countries[key] += n
    else:
        cc, _, a1 = key.partition("/")
        if kind == "region":
            ev.regions[(cc, a1)] += n
        else:
            ev.qualifiers[(cc, a1 or None)] += n
