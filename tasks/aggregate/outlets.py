"""Outlet resolution: a source's outlet name and domain → one outlet, folding aliases through a registry.

The registry (``data/outlets.csv``: domain, name, aliases, country, language, media_type) maps known domains and
every alias of a name ("Fox News", "Fox Online News", foxnews.com) to one outlet. A domain is looked up with its
parent domains too (politicalticker.blogs.cnn.com → cnn.com). An outlet the registry does not know is kept as the
source gave it, keyed by its domain, else by its name; nothing is invented when the source names no outlet.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tasks import ids
from tasks.schemas import OUTLETS
from tasks.warehouse.snapshot import Snapshot

UNKNOWN_OUTLET = "unknown"  # outlet_id of articles whose source names no outlet
WIRES = frozenset({"Reuters", "AP", "Associated Press", "AFP", "EPA", "Getty Images", "Getty", "Bloomberg", "PA",
                   "ANSA", "Xinhua", "dpa", "Kyodo", "Yonhap", "TASS"})


@dataclass(frozen=True, slots=True)
class Outlet:
    domain: str
    name: str
    aliases: tuple[str, ...] = ()
    country: str | None = None
    language: str | None = None
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    outlet_id: str
    name: str | None
    domain: str | None
    entry: Outlet | None  # the registry's outlet, when known


class Registry:
    def __init__(self, outlets: Iterable[Outlet] = ()) -> None:
        self.by_domain: dict[str, Outlet] = {}
        self.by_name: dict[str, Outlet] = {}
        self._ids: dict[tuple[str | None, str | None], str] = {}  # (name, domain) -> outlet_id, as resolved
        for outlet in outlets:
            self.by_domain.setdefault(outlet.domain, outlet)
            for name in (outlet.name, *outlet.aliases):
                self.by_name.setdefault(_fold(name), outlet)

    @classmethod
    def from_csv(cls, path: str | Path | None) -> Registry:
        """The registry in ``path``; an empty one for None."""
        if path is None:
            return cls()
        with Path(path).open(encoding="utf-8", newline="") as fh:
            return cls(Outlet(domain=row["domain"].strip().lower(), name=row["name"].strip(),
                              aliases=tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()),
                              country=row.get("country") or None, language=row.get("language") or None,
                              media_type=row.get("media_type") or None)
                       for row in csv.DictReader(fh))

    def outlet_id(self, name: str | None, domain: str | None) -> str:
        """The outlet_id of a source's (name, domain); ``UNKNOWN_OUTLET`` when it names neither."""
        if (known := self._ids.get((name, domain))) is None:
            resolved = self.resolve(name, domain)
            known = self._ids[(name, domain)] = resolved.outlet_id if resolved else UNKNOWN_OUTLET
        return known

    def resolve(self, name: str | None, domain: str | None) -> Resolved | None:
        """The outlet of a source's (name, domain); None when the source names neither."""
        host = ids.normalize_domain(domain)
        entry = self._by_host(host) or (self.by_name.get(_fold(name)) if name else None)
        if entry:
            return Resolved(ids.outlet_id(entry.name, entry.domain) or "", entry.name, entry.domain, entry)
        outlet = ids.outlet_id(name, host)
        return Resolved(outlet, name, host, None) if outlet else None

    def _by_host(self, host: str | None) -> Outlet | None:
        while host and "." in host:
            if host in self.by_domain:
                return self.by_domain[host]
            host = host.split(".", 1)[1]
        return None


def _fold(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


# per outlet, from the articles in one scan: the figures (grouping level 3), and the counts of each source name (1)
# and domain (2); the image credits' counts in another. The tone is summed as a decimal, exactly, so the mean does
# not depend on the order the rows come in; ties between names or credits fall alphabetically, for the same reason
OUTLET_FIGURES_SQL = f"""
select outlet_id, grouping(source_outlet, source_domain) as level, coalesce(source_outlet, source_domain) as v,
       count(*) as article_count, min(published_at) as first_published_at,
       max(published_at) as last_published_at, quantile_cont(word_count, 0.5)::double as median_word_count,
       avg(coalesce(list_has_any(image_credits, {sorted(WIRES)}), false)::int) as wire_credit_share,
       sum(tone::double::decimal(38, 17)) / nullif(count(tone), 0) as mean_tone
from articles group by grouping sets ((outlet_id), (outlet_id, source_outlet), (outlet_id, source_domain))
"""
CREDITS_SQL = ("select outlet_id, credit as v, count(*) as n from (select outlet_id, unnest(image_credits) "
               "as credit from articles) where credit is not null group by all")
FIGURES = ["outlet_id", "article_count", "first_published_at", "last_published_at", "median_word_count",
           "wire_credit_share", "mean_tone"]


def build_outlets(con: duckdb.DuckDBPyConnection, registry: Registry, top: dict[str, list[str]] | None = None
                  ) -> pa.Table:
    """One row per outlet_id of the relation ``articles`` on ``con``: registry facts, names seen, counts, dates,
    wire credits and ``top`` entities. DuckDB sums them, so memory holds an outlet's figures, not its articles."""
    found = con.sql(OUTLET_FIGURES_SQL).to_arrow_table().to_pylist()
    counts = {kind: [(r["outlet_id"], r["v"], r["article_count"]) for r in found if r["level"] == level and r["v"]]
              for kind, level in (("names", 1), ("domains", 2))}
    counts["credits"] = con.sql(CREDITS_SQL).fetchall()
    values: dict[str, dict[str, list[str]]] = {}
    for kind, found_values in counts.items():
        counted: dict[str, list[str]] = defaultdict(list)
        for oid, value, _ in sorted(found_values, key=lambda r: (r[0], -r[2], r[1])):
            counted[oid].append(value)  # most counted first
        values[kind] = counted
    top = top or {}
    rows = []
    for figures in sorted(({c: r[c] for c in FIGURES} for r in found if r["level"] == 3), key=lambda r: r["outlet_id"]):
        oid = str(figures["outlet_id"])
        names, domains = values["names"].get(oid, []), values["domains"].get(oid, [])
        resolved = registry.resolve(names[0] if names else None, domains[0] if domains else None)
        entry = resolved.entry if resolved else None
        rows.append({
            **figures,
            "name": entry.name if entry else (resolved.name if resolved else None) or "(unknown outlet)",
            "domain": entry.domain if entry else (resolved.domain if resolved else None),
            "names_seen": sorted(names),
            "country": entry.country if entry else None,
            "language": entry.language if entry else None,
            "media_type": entry.media_type if entry else None,
            "in_registry": entry is not None,
            "top_image_credits": values["credits"].get(oid, [])[:5],
            "top_entities": top.get(oid, []),
            "mean_tone": None if figures["mean_tone"] is None else float(figures["mean_tone"]),
        })
    return pa.Table.from_pylist(rows, schema=OUTLETS)


def mean_tone(articles: list[dict[str, Any]]) -> float | None:
    """The mean tone of the articles that have one (an article without words has none)."""
    tones = [a["tone"] for a in articles if a.get("tone") is not None]
    return statistics.fmean(tones) if tones else None


def changed_outlets(base: Snapshot, outlets: pa.Table, *columns: str) -> dict[str, frozenset[str] | None]:
    """Per column of ``columns``: the outlets of the committed version with another value in the run's ``outlets``
    (a name their articles now give otherwise; a country the registry learnt or corrected, which changes what was
    derived from their stored articles in every month); None, all of them, when the committed version does not
    hold the column."""
    if not base.num_rows("outlets"):
        return {column: frozenset() for column in columns}
    before = base.read("outlets")
    ids = before["outlet_id"].to_pylist()
    found: dict[str, frozenset[str] | None] = {}
    for column in columns:
        if column not in before.column_names:
            found[column] = None
            continue
        value = dict(zip(ids, before[column].to_pylist(), strict=True))
        found[column] = frozenset(str(o) for o, v in zip(outlets["outlet_id"].to_pylist(), outlets[column].to_pylist(),
                                                         strict=True) if o in value and value[o] != v)
    return found
