"""Country outlines for the dashboard's map, from a package that ships them (``countryinfo``, as the gazetteer's
countries' points come from): a GeoJSON FeatureCollection keyed by ISO 3166-1 alpha-2 code, the key of
``place_country_daily.country_code``.

plotly.js draws a map's land, coasts and borders from world topojson it fetches from a CDN, which a machine
without network cannot reach: the map page hides those base layers and draws these outlines itself (a choropleth
with ``geojson``), so the browser asks nothing of any host but the dashboard's. Coordinates are rounded to 0.01
degree (~1 km), plenty for a world map, which keeps the file the page loads small.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from countryinfo.countryinfo import load_countries

DECIMALS = 2


def _rounded(coordinates: Any) -> Any:
    if coordinates and isinstance(coordinates[0], int | float):
        return [round(float(c), DECIMALS) for c in coordinates]
    return [_rounded(c) for c in coordinates]


@functools.cache
def countries_geojson() -> bytes:
    """The FeatureCollection as UTF-8 JSON: one feature per country, ``id`` its alpha-2 code, ``properties.name``
    its English short name (built once per process, ~0.3 s)."""
    features = []
    for info in load_countries()["countries"].values():
        code = (info.get("ISO") or {}).get("alpha2")
        shapes = (info.get("geoJSON") or {}).get("features") or []
        if not code or not shapes:
            continue
        geometries = [f["geometry"] for f in shapes if f.get("geometry")]
        polygons = [poly for g in geometries
                    for poly in (g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]])]
        features.append({"type": "Feature", "id": code, "properties": {"name": info.get("name") or code},
                         "geometry": {"type": "MultiPolygon", "coordinates": _rounded(polygons)}})
    features.sort(key=lambda f: f["id"])
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode()
