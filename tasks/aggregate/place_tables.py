"""The ``places`` table (one row per place entity, resolved by ``places`` from the evidence of its articles, stored a
month at a time: ``place_evidence``), from the committed entities, articles and outlets; then their counts per
country (``place_counts``)."""

from __future__ import annotations

import functools
import logging
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from tasks.aggregate import months, place_counts, place_evidence
from tasks.aggregate.gazetteer import Gazetteer, build
from tasks.aggregate.months import Facts, Months, Spelling
from tasks.aggregate.place_names import PLACE_LABELS, Mention, name_parts, place_mention
from tasks.aggregate.places import Evidence, article_evidence, as_town, pool, resolve
from tasks.memory import give_back_memory
from tasks.names import entity_key
from tasks.schemas import PLACES
from tasks.warehouse.snapshot import scan

if TYPE_CHECKING:
    from tasks.warehouse import Merged

log = logging.getLogger(__name__)
ENTITY_COLUMNS = ["article_id", "char_start", "char_end", "text", "label", "model_label", "entity_id",
                  "canonical_name"]



def outlet_countries(facts_of: Facts, outlets: pa.Table, months: Collection[str]) -> dict[str, str | None]:
    """The country of the outlet (``outlets.country``, from the registry) of each article published in ``months``
    (``facts_of`` them), by article id."""
    country = dict(zip(outlets["outlet_id"].to_pylist(), outlets["country"].to_pylist(), strict=True))
    held = facts_of(frozenset(months))
    return {str(a): country.get(o) for a, o in zip(held["article_id"].to_pylist(), held["outlet_id"].to_pylist(),
                                               strict=True)}


SPELLINGS_KEPT = 1 << 17  # what a spelling names, for the most recently read: a warehouse holds ~100,000 of them
Reader = Callable[[str, str | None, str], Mention | None]  # (label, model label, text) -> the place it names, if any


def mention_reader(gaz: Gazetteer) -> Reader:
    """``place_mention`` of a spelling, read once per spelling, not per mention."""
    return functools.lru_cache(maxsize=SPELLINGS_KEPT)(
        lambda label, model_label, text: place_mention("", label, model_label, text, 0, gaz))


def month_evidence(entities: Iterable[pa.RecordBatch], countries: Mapping[str, str | None], gaz: Gazetteer,
                   read: Reader | None = None) -> dict[str, Evidence]:
    """Each place entity's (or organisation named after a place: ``place_mention``) evidence from the articles of
    ``entities``' mentions, pooled over them."""
    read = read or mention_reader(gaz)
    by_article: dict[str, list[Mention]] = defaultdict(list)
    for batch in entities:
        for r in _maybe_places(batch):
            if (where := read(r["label"], r["model_label"], r["text"])) is not None:
                # one string per entity and spelling, not one per mention: a warehouse holds millions of them
                by_article[r["article_id"]].append(Mention(
                    sys.intern(r["entity_id"]), sys.intern(where.name), r["char_start"] + where.start,
                    r["char_start"] + where.end, where.doubtful))
    pooled: dict[str, Evidence] = {}
    while by_article:  # each article's mentions let go once its evidence is pooled
        article_id, mentions = by_article.popitem()
        for key, ev in article_evidence(mentions, gaz, countries.get(article_id)).items():
            pooled[key] = pool([ev], pooled.get(key))
    return pooled


def resolve_places(pooled: Mapping[str, Evidence], canonical: Mapping[str, str], gaz: Gazetteer) -> pa.Table:
    """One row per entity of ``pooled`` (its evidence over the warehouse; ``canonical``: its name), resolved from
    the first of its canonical name and its place names, most mentioned first, that the gazetteer holds. A name
    only ever read as a doubtful mention is a row only when read as a town (``as_town``)."""
    rows = []
    for entity_id in sorted(pooled):
        evidence = pooled[entity_id]
        doubtful = not evidence.articles
        named = evidence.doubted_names if doubtful else evidence.names
        names = sorted(named.items(), key=lambda item: (-item[1], item[0]))
        spellings = [canonical[entity_id], *(n for n, _ in names)]
        candidates = next((c for n in spellings if (c := gaz.candidates(n))), ())
        res = as_town(candidates, evidence) if doubtful else resolve(candidates, evidence)
        if (p := res.place) is None and doubtful:
            continue
        rows.append({"entity_id": entity_id, "name": canonical[entity_id], "resolved_by": res.how,
                     "candidates": res.candidates, "articles": evidence.articles or evidence.doubted,
                     "geonameid": p.geonameid if p else None, "place_name": p.name if p else None,
                     "kind": p.kind if p else None, "country_code": p.country_code if p else None,
                     "admin1": p.admin1 if p else None, "latitude": p.latitude if p else None,
                     "longitude": p.longitude if p else None})
    table = pa.Table.from_pylist(rows, schema=PLACES)
    log.info("places: %d entities, %s", table.num_rows, dict(Counter(r["resolved_by"] for r in rows)))
    return table


def build_places(entities: Iterable[pa.RecordBatch], countries: Mapping[str, str | None], gaz: Gazetteer) -> pa.Table:
    """The ``places`` rows of a set of mentions (columns ``ENTITY_COLUMNS``), named by their canonical names."""
    batches = list(entities)
    return resolve_places(month_evidence(batches, countries, gaz), _canonical_names(batches), gaz)


def _canonical_names(batches: Iterable[pa.RecordBatch]) -> dict[str, str]:
    """entity_id -> canonical_name, from rows holding both (mentions, or the name index)."""
    return {str(e): str(n) for batch in batches for e, n in zip(
        batch.column("entity_id").to_pylist(), batch.column("canonical_name").to_pylist(), strict=True)}


def wanted_names(entities: Iterable[pa.RecordBatch], named: set[str] | None = None) -> set[str]:
    """The name keys a place may be looked up by: the spellings and canonical names of the mentions that could be
    places (``is_place``: a place label, or a label a country or region is sometimes given), and the parts of their
    names a place may be (``name_parts``: "Cook County" of "Cook County Jail"). Their entity ids are added to
    ``named``, if given."""
    rows = {(r["text"], r["canonical_name"], r.get("entity_id")) for batch in entities for r in _maybe_places(batch)}
    if named is not None:
        named.update(entity_id for *_, entity_id in rows if entity_id is not None)
    return lookup_keys({text for text, _, _ in rows}) | {entity_key(name) for _, name, _ in rows if name}


def lookup_keys(spellings: Iterable[str]) -> set[str]:
    """The name keys ``place_mention`` may look a spelling up by: its own and its parts' (``name_parts``)."""
    return {entity_key(n) for text in spellings if text for n in (text, *name_parts(text))}


MAYBE_PLACE = frozenset({*PLACE_LABELS, "ORG", "PERSON", "NORP"})


def _maybe_places(batch: pa.RecordBatch) -> list[dict[str, Any]]:
    """The rows of a batch of mentions that may name a place (``place_mention`` reads no other label): most of a
    warehouse's mentions are dates, numbers and amounts, not worth turning into Python rows."""
    maybe = pc.or_kleene(pc.is_in(batch.column("label"), pa.array(sorted(MAYBE_PLACE))),
                   pc.is_in(batch.column("model_label"), pa.array(sorted(PLACE_LABELS))))
    return pa.table(batch).filter(maybe).to_pylist()


def placed_months(changed: Mapping[str, Collection[Spelling]]) -> set[str]:
    """The months of ``changed`` (the spellings of a month's stored mentions whose entity or label changed) whose
    place evidence changes: where a spelling is read as another place (or none) under its new label than under its
    old, or names a place and changed entity. A surname that joins a full name names none, nor does a canonical
    spelling that overtakes another, and a label vote that flips between two labels read alike ("Israel" GPE or
    NORP) reads the same place. Read against a gazetteer of those spellings' own names and parts, the only ones
    ``place_mention`` looks up."""
    if not changed:
        return set()
    spelled = {text for spellings in changed.values() for *_, text, _ in spellings}
    read = mention_reader(build(lookup_keys(spelled)))

    def moves(old: str | None, new: str | None, model: str | None, text: str, moved: bool) -> bool:
        before, after = (read(label, model, text) if label else None for label in (old, new))
        return before != after or (moved and before is not None)

    return {month for month, spellings in changed.items() if any(moves(*spelling) for spelling in spellings)}


def write_places(merged: Merged, recount: Months, changed: Mapping[str, Collection[Spelling]],
                 articles: tuple[Facts, pa.Table], moved: Months) -> None:
    """Write ``place_evidence`` again in the months ``recount`` names (None: every month) and in those of ``changed``
    where a stored mention whose entity or label changed names a place (``placed_months``), from their mentions
    (``articles``: the articles' facts, and the outlets, give each mention its outlet's country); then ``places``
    again for the entities those months name or whose name changed (``_resolved_again``), the others' rows carried
    over; then ``place_country_daily`` (``write_country_daily``: ``moved`` names the months where a mention's entity
    or an article's outlet changed). The gazetteer holds only the names the places may look up (those of the months
    counted, and of the places resolved again), and is let go before the counts are computed."""
    commit = merged.commit
    if not place_evidence.counted_under_these_rules(merged.base):  # its places are what every month gives now
        recount = moved = None
    parts = commit.parts_by_month("entities")
    rewrite = None if recount is None else recount | placed_months(changed)
    rewritten = months.carry(merged, "place_evidence", rewrite)  # None: every month
    written = months.held(parts, rewritten)
    countries = outlet_countries(*articles, written)
    canonical = _canonical_names(commit.current_parts("entity_names", ["entity_id", "canonical_name"]))
    named: set[str] = set()  # the entities the months written name where they may name a place
    wanted = wanted_names((b for m in written for b in commit.current_parts("entities", ENTITY_COLUMNS, parts[m])),
                          named)
    stored = merged.base.read("places")
    again = None if rewrite is None else named | _resolved_again(merged, written, stored, canonical)
    pooled = {} if again is None else place_evidence.carried(merged, rewritten, again)  # over the months carried over
    wanted.update(entity_key(n) for e, ev in pooled.items() for n in (canonical[e], *ev.names, *ev.doubted_names))
    gaz = build(wanted)
    read = mention_reader(gaz)
    with commit.writer("place_evidence") as out:
        for month in written:
            found = month_evidence(commit.current_parts("entities", ENTITY_COLUMNS, parts[month]), countries, gaz, read)
            if found:
                out.write(place_evidence.table(found, month))
            for key, ev in found.items():
                pooled[key] = pool([ev], pooled.get(key))
    place_evidence.write_totals(merged, rewritten)
    places = resolve_places(pooled, canonical, gaz)
    if again is not None:
        carried = stored.filter(pc.invert(pc.is_in(stored["entity_id"], pa.array(sorted(again), pa.string()))))
        places = pa.concat_tables([carried, places]).sort_by("entity_id")
    commit.write("places", places)
    del gaz, read
    give_back_memory()
    place_counts.write_country_daily(merged, places, moved, place_counts.country_changed(stored, places))


def _resolved_again(merged: Merged, written: Collection[str], stored: pa.Table,
                    canonical: Mapping[str, str]) -> set[str]:
    """The stored places to resolve again besides those the months ``written`` name: those with stored evidence in
    those months (replaced now), and those whose canonical name changed or is gone. A place is resolved from its own
    evidence and names alone, so the other ``stored`` rows stand as they are."""
    base = merged.base
    evidence = base.parts_by_month("place_evidence")
    old = {str(e) for batch in scan(base.out, "place_evidence", [p for m in written for p in evidence.get(m, [])],
                                    ["entity_id"]) for e in pc.unique(batch.column("entity_id")).to_pylist()}
    renamed = {str(e) for e, n in zip(stored["entity_id"].to_pylist(), stored["name"].to_pylist(), strict=True)
               if canonical.get(str(e)) != n}
    return old | renamed
