"""Country outlines for the dashboard's map, from a package that ships them (``countryinfo``, as the gazetteer's
countries' points come from): a GeoJSON FeatureCollection keyed by ISO 3166-1 alpha-2 code, the key of
``place_country_daily.country_code``.

plotly.js draws a map's land, coasts and borders from world topojson it fetches from a CDN, which a machine
without network cannot reach: the map page hides those base layers and draws these outlines itself (a choropleth
with ``geojson``), so the browser asks nothing of any host but the dashboard's. Coordinates are rounded to 0.01
degree (~1 km), plenty for a world map, which keeps the file the page loads small (~170 kB).
"""

from __future__ import annotations

import functools
import json

from tasks.countries import Polygon, country_shapes

DECIMALS = 2


def signed_area(ring: list[list[float]]) -> float:
    """Twice the ring's area in the plane of (longitude, latitude), north up: negative when it turns clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True))


def _polygon(rings: Polygon) -> Polygon:
    """A polygon rounded and wound as d3-geo (plotly.js's maps) reads it: the outer ring clockwise, holes
    anticlockwise. GeoJSON's own rule is the reverse, and d3 takes an anticlockwise outer ring for the rest of the
    globe: one such country paints the whole sphere."""
    out = []
    for i, ring in enumerate(rings):
        rounded = [[round(float(x), DECIMALS), round(float(y), DECIMALS)] for x, y, *_ in ring]
        clockwise = signed_area(rounded) < 0
        out.append(rounded if clockwise == (i == 0) else rounded[::-1])
    return out


@functools.cache
def countries_geojson() -> bytes:
    """The FeatureCollection as UTF-8 JSON: one feature per country, ``id`` its alpha-2 code, ``properties.name``
    its English short name (built once per process, ~0.3 s)."""
    features = sorted(({"type": "Feature", "id": code, "properties": {"name": info.get("name") or code},
                        "geometry": {"type": "MultiPolygon", "coordinates": [_polygon(p) for p in polygons]}}
                       for code, info, polygons in country_shapes()), key=lambda f: str(f["id"]))
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode()
