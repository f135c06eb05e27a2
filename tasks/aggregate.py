"""Aggregate: tables derived from the detail rows (outlets; canonical entity names)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from tasks.nlp import display_name
from tasks.schemas import OUTLETS

OutletNames = Mapping[str, tuple[str | None, str | None]]  # outlet_id -> (name, domain)


def with_canonical_names(entities: pa.Table) -> pa.Table:
    """Set ``canonical_name`` to the preferred spelling among all mentions of each entity_id: the most
    frequent, then the one with fewest all-capital words, then the longest, then alphabetical."""
    if entities.num_rows == 0:
        return entities
    counts = entities.group_by(["entity_id", "text"]).aggregate([("text", "count")])
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for eid, text, n in zip(*(counts[c].to_pylist() for c in ("entity_id", "text", "text_count")), strict=True):
        forms[eid][display_name(text)] += n
    best = {eid: min(c.items(), key=_preference)[0]
            for eid, c in forms.items()}
    names = pa.array([best[str(e)] for e in entities["entity_id"].to_pylist()], pa.string())
    return entities.set_column(entities.schema.get_field_index("canonical_name"), "canonical_name", names)


def _preference(form_count: tuple[str, int]) -> tuple[int, int, int, str]:
    form, count = form_count
    shouting = sum(1 for w in form.split() if len(w) > 1 and w.isupper())
    return -count, shouting, -len(form), form


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
