"""Outlet resolution: a source's outlet name and domain → one outlet, folding aliases through a registry.

The registry (``data/outlets.csv``: domain, name, aliases, country, language, media_type) maps known domains and
every alias of a name ("Fox News", "Fox Online News", foxnews.com) to one outlet. A domain is looked up with its
parent domains too (politicalticker.blogs.cnn.com → cnn.com). An outlet the registry does not know is kept as the
source gave it, keyed by its domain, else by its name; nothing is invented when the source names no outlet.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tasks import ids


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
