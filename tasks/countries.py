"""Countries as ``countryinfo`` ships them, read one way for every stage that needs them: the gazetteer places a
country at its mainland's centroid (or its published point), the dashboard draws its outline."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from countryinfo.countryinfo import load_countries

Polygon = list[list[list[float]]]  # GeoJSON rings: the outer one first, then holes


def country_shapes() -> Iterator[tuple[str, dict[str, Any], list[Polygon]]]:
    """(ISO 3166-1 alpha-2 code, countryinfo's record, its polygons) of every country that has both a code and an
    outline; a MultiPolygon's parts are polygons of their own."""
    for info in load_countries()["countries"].values():
        code = (info.get("ISO") or {}).get("alpha2")
        features = (info.get("geoJSON") or {}).get("features") or []
        geometries = [f["geometry"] for f in features if f.get("geometry")]
        polygons = [poly for g in geometries
                    for poly in (g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]])]
        if code and polygons:
            yield code, info, polygons
