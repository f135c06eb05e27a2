"""Entities across the warehouse: merged ids and canonical names on the mentions, and the entity catalog."""

from __future__ import annotations

from collections import Counter, defaultdict

import pyarrow as pa

from tasks import ids
from tasks.entity_merge import merge_keys
from tasks.names import LABEL_FAMILY, display_name, entity_key
from tasks.schemas import ENTITY_CATALOG, QUOTES

NameKey = tuple[str, str]  # (label family, name key)


def resolve(entities: pa.Table) -> pa.Table:
    """Mentions with ``entity_id`` set from their merged (family, name key) and ``canonical_name`` set to the
    entity's preferred full spelling: the most frequent, then the fewest all-capital words, then the longest."""
    if entities.num_rows == 0:
        return entities
    grouped = entities.group_by(["label", "name_key", "text"]).aggregate([("text", "count")])
    counts: Counter[NameKey] = Counter()
    spellings: dict[NameKey, Counter[str]] = defaultdict(Counter)
    for label, key, text, n in zip(*(grouped[c].to_pylist() for c in ("label", "name_key", "text", "text_count")),
                                   strict=True):
        name: NameKey = (LABEL_FAMILY.get(label, label), key)
        counts[name] += n
        if entity_key(text) == key:  # a full form, not a short form resolved to this name
            spellings[name][display_name(text)] += n
    target = merge_keys(counts)
    forms: dict[NameKey, Counter[str]] = defaultdict(Counter)
    for name, spelled in spellings.items():
        forms[target[name]].update(spelled)
    canonical = {t: min(forms[t].items(), key=_preference)[0] if forms[t] else t[1] for t in set(target.values())}
    labels = [str(label) for label in entities["label"].to_pylist()]
    keys = [str(key) for key in entities["name_key"].to_pylist()]
    merged = [target[(LABEL_FAMILY.get(label, label), key)] for label, key in zip(labels, keys, strict=True)]
    table = entities.set_column(entities.schema.get_field_index("entity_id"), "entity_id",
                                pa.array([ids.entity_id(*t) for t in merged], pa.string()))
    return table.set_column(table.schema.get_field_index("canonical_name"), "canonical_name",
                            pa.array([canonical[t] for t in merged], pa.string()))


def _preference(form_count: tuple[str, int]) -> tuple[int, int, int, str]:
    form, count = form_count
    shouting = sum(1 for w in form.split() if len(w) > 1 and w.isupper())
    return -count, shouting, -len(form), form


def with_speakers(quotes: pa.Table, entities: pa.Table) -> pa.Table:
    """Quotes with the speaker's current entity_id and canonical name, looked up by the speaker's mention."""
    speakers = entities.select(["article_id", "char_start", "entity_id", "canonical_name"]).rename_columns(
        ["article_id", "speaker_char_start", "speaker_entity_id", "speaker_name"])
    bare = quotes.drop_columns(["speaker_entity_id", "speaker_name"])
    joined = bare.join(speakers, ["article_id", "speaker_char_start"], join_type="left outer")
    return joined.select(QUOTES.names).cast(QUOTES).sort_by([("article_id", "ascending"), ("char_start", "ascending")])


def catalog(entities: pa.Table, articles: pa.Table) -> pa.Table:
    """One row per entity: its name, majority label, spellings, and how widely and when it was mentioned."""
    context = articles.select(["article_id", "outlet_id", "published_at"])
    joined = entities.select(["entity_id", "canonical_name", "label", "text", "article_id"]).join(
        context, "article_id", join_type="left outer")
    stats = joined.group_by("entity_id").aggregate([
        ("canonical_name", "min"), ("text", "count"), ("article_id", "count_distinct"),
        ("outlet_id", "count_distinct"), ("published_at", "min"), ("published_at", "max"),
        ("text", "distinct"), ("label", "distinct"),
    ])
    labels = joined.group_by(["entity_id", "label"]).aggregate([("label", "count")])
    majority: dict[str, tuple[int, str]] = {}
    for eid, label, n in zip(*(labels[c].to_pylist() for c in ("entity_id", "label", "label_count")), strict=True):
        if eid not in majority or (n, label) > majority[eid]:
            majority[eid] = (n, label)
    rows = [{
        "entity_id": eid,
        "canonical_name": name,
        "label": majority[eid][1],
        "aliases": sorted({display_name(t) for t in texts} - {name}),
        "mention_count": mentions,
        "article_count": n_articles,
        "outlet_count": n_outlets,
        "first_seen": first,
        "last_seen": last,
    } for eid, name, mentions, n_articles, n_outlets, first, last, texts, _labels in zip(
        *(stats[c].to_pylist() for c in (
            "entity_id", "canonical_name_min", "text_count", "article_id_count_distinct",
            "outlet_id_count_distinct", "published_at_min", "published_at_max", "text_distinct", "label_distinct")),
        strict=True)]
    table = pa.Table.from_pylist(rows, schema=ENTITY_CATALOG)
    return table.sort_by([("mention_count", "descending"), ("entity_id", "ascending")]) if rows else table

