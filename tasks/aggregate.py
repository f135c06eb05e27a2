"""Aggregate: the outlets table, derived from the articles."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from tasks.schemas import OUTLETS

OutletNames = Mapping[str, tuple[str | None, str | None]]  # outlet_id -> (name, domain)


def build_outlets(articles: pa.Table, names: OutletNames) -> pa.Table:
    """One row per outlet_id seen in ``articles`` with counts, dates and wire-credit figures."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cols = ("outlet_id", "published_at", "word_count", "image_credits")
    for row in articles.select(list(cols)).to_pylist():
        if row["outlet_id"]:
            grouped[str(row["outlet_id"])].append(row)
    rows = []
    for oid in sorted(grouped):
        arts = grouped[oid]
        dates = [a["published_at"] for a in arts if a["published_at"] is not None]
        credits = Counter(c for a in arts for c in (a["image_credits"] or []))
        name, domain = names.get(oid, (None, None))
        rows.append({
            "outlet_id": oid,
            "name": name or domain,
            "domain": domain,
            "article_count": len(arts),
            "first_published_at": min(dates) if dates else None,
            "last_published_at": max(dates) if dates else None,
            "median_word_count": float(statistics.median(a["word_count"] for a in arts)),
            "top_image_credits": [c for c, _ in credits.most_common(5)],
        })
    return pa.Table.from_pylist(rows, schema=OUTLETS)
