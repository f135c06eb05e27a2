"""Places: GPE, LOC and FAC entities resolved to a gazetteer entry (``gazetteer``), by the context of the articles
that name them before a population prior; and organisations named after a place, resolved to it (``named_after``).

Each article gives evidence about each place name in it (``article_evidence``): the other places it names (a
country, or a first-level region such as a US state, and the countries and regions of the towns it names, each taken
at its most likely reading), a region or country written right after the name ("Springfield, Illinois"), and the
country of the outlet. An entity id is one place across the warehouse, so an entity's evidence is pooled over its
articles (``pool``) and ``resolve`` picks the candidate that scores best: a candidate in a country or region the
context names gains over one that is merely populous. A name with no candidate is left unresolved with its reason.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tasks.aggregate.gazetteer import Gazetteer, Place

PLACE_LABELS = ("GPE", "LOC", "FAC")
# Weights of the score: set by hand from the rules' logic and checked on the development part of bench.geoparse only
# (not tuned; README "Places").
QUALIFIED = 8.0  # the name is followed by a region or country that holds the candidate ("Springfield, Illinois")
IN_REGION = 3.0  # the candidate's region is named in the context (share of the articles that name one)
IN_COUNTRY = 2.0  # the candidate's country is named in the context
OUTLET_COUNTRY = 1.0  # the candidate is in the outlet's country
WHOLE_UNIT = 2.0  # a country, region or continent over a town of the same name: the name alone means the unit
PER_DECADE = 0.5  # per tenfold population
UNITS = ("country", "admin1", "continent")  # a county is not: "Kent" or "Norfolk" alone may well be the town
MAX_PLACE_WORDS = 3  # the longest place name an organisation's name starts with ("New South Wales")
# The head nouns of public bodies, schools, hospitals and papers named after their town: English's usual ones,
# not a corpus' (a town's name before another word may be a person's or a brand's: "Wells Fargo").
INSTITUTION_NOUNS = frozenset((
    "academy", "airport", "assembly", "board", "borough", "chamber", "chronicle", "city", "college", "commission",
    "community", "council", "county", "courier", "court", "daily", "department", "district", "elementary", "fire",
    "gazette", "health", "herald", "high", "hospital", "housing", "journal", "legislature", "library", "medical",
    "memorial", "middle", "municipal", "museum", "news", "police", "port", "post", "press", "public", "regional",
    "school", "schools", "sheriff", "state", "symphony", "times", "town", "township", "transit", "tribune",
    "university", "village", "water", "zoo"))
# The head nouns of natural features: a river or range named after a word is not at a town of that word.
FEATURE_NOUNS = frozenset((
    "bay", "beach", "canyon", "cape", "channel", "coast", "creek", "desert", "falls", "forest", "glacier", "gulf",
    "harbor", "harbour", "island", "islands", "lake", "lakes", "mountain", "mountains", "ocean", "peninsula",
    "range", "reef", "river", "sea", "sound", "strait", "valley"))
# Words before a place's name that say which part of it ("Northern Texas", "Greater London", "Metro Dallas")
QUALIFIERS = frozenset((
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "northern", "southern",
    "eastern", "western", "central", "northeastern", "northwestern", "southeastern", "southwestern", "upstate",
    "downstate", "downtown", "greater", "metro", "metropolitan", "rural", "suburban", "inner", "outer"))
LARGE_CITY = 100_000  # a city with quarters and outskirts of its own names
_UNITS_OF = "province|state|city|county|republic|kingdom|commonwealth|town|village|borough|township|region"
_UNIT_OF = re.compile(rf"^(?i:(?:the )?(?:{_UNITS_OF}) of )(?P<place>[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){{0,2}})$")
_UNIT_AFTER = re.compile(r"^(?P<place>.+?) (?i:province|state|region|city|area|district|prefecture|municipality)$")
_POSSESSIVE = re.compile(r"['’]s?$")


def _bare_word(word: str) -> str:
    return _POSSESSIVE.sub("", word.strip(".,()")).lower()


@dataclass(kw_only=True, slots=True)
class Evidence:
    """What the articles naming a place say about where it is: counts per article."""

    articles: int = 0
    countries: Counter[str] = field(default_factory=Counter)  # country codes named (or implied) in its articles
    regions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (country, admin1) named in its articles
    qualifiers: Counter[tuple[str, str | None]] = field(default_factory=Counter)  # (country, admin1 or None) after it
    outlet_countries: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Resolution:
    """A name's place, or why it has none."""

    place: Place | None
    how: str  # "only candidate", "context", "population" or, unresolved, "no candidate"
    candidates: int


@dataclass(frozen=True, slots=True)
class Mention:
    """A place mention in one article: its entity (or name) key, its name and where it ends."""

    key: str
    name: str
    start: int
    end: int


def is_place(label: str, model_label: str, name: str, gaz: Gazetteer) -> bool:
    """Whether a mention names a place: a place label, or a place the model saw that the article's one-label-per-name
    rule relabelled, or a country or first-level region by its full name whatever the label (the small model calls
    a state an organisation when it is the subject of a verb; a people's name, "American", stands for its country)."""
    if label in PLACE_LABELS or model_label in PLACE_LABELS:
        return True
    if label not in ("ORG", "PERSON", "NORP"):
        return False
    return any(p.kind in ("country", "admin1") for p in gaz.candidates(name))


def name_prefixes(name: str) -> list[str]:
    """The leading one to ``MAX_PLACE_WORDS`` words of a name followed by another word, the longest first, but for
    compass words alone ("East" of "East Ridge" is also a region's name)."""
    words = name.split()
    heads = (words[:n] for n in range(min(MAX_PLACE_WORDS, len(words) - 1), 0, -1))
    return [" ".join(head) for head in heads if not QUALIFIERS.issuperset(w.lower() for w in head)]


def named_after(label: str, name: str, gaz: Gazetteer) -> str | None:
    """The place an organisation (or a mention the model took for a person or a place) is named after: the longest
    leading words of its name that a gazetteer entry bears, followed by a capitalised word. For an organisation
    they must name a county, region or country ("Vermont" of "Vermont Board of Parks"), or a town the rest of whose
    name holds a public body's noun ("Springfield Fire Department", "Springfield Arts Council"): a town's name before
    other words may be a person's or a brand's.
    A person's name qualifies only before a public body's noun ("Dallas Police", misread as a person); a facility's
    or place's before any word but a natural feature's ("Cook County Jail", "Dallas Love Field"; not "Red Creek")."""
    words = name.split()
    if label not in (*PLACE_LABELS, "ORG", "PERSON") or FEATURE_NOUNS & {w.lower() for w in words}:
        return None
    for head in name_prefixes(name):
        if not (candidates := gaz.candidates(head)):
            continue
        following = words[len(head.split())]
        if not following[:1].isupper():
            return None
        if INSTITUTION_NOUNS & {_bare_word(w) for w in words[len(head.split()):]} or label in PLACE_LABELS or (
                label == "ORG" and any(p.kind in (*UNITS, "admin2") for p in candidates)):
            return head
        return None
    return None


def qualified_forms(name: str) -> list[str]:
    """The names a place's name may hold with a qualifier the gazetteer leaves out: "State of Texas",
    "Texas state", "Northern Texas", "South Dallas" (the name, then the qualifier)."""
    forms = []
    if of := _UNIT_OF.match(name):
        forms.append(of["place"])
    if unit := _UNIT_AFTER.match(name):
        forms.append(unit["place"])
    words = name.split()
    if len(words) > 1 and words[0].lower().strip(".") in QUALIFIERS:
        forms.append(" ".join(words[1:]))
    return forms


def qualified_place(label: str, name: str, gaz: Gazetteer) -> str | None:
    """The place a place-labelled name with a qualifier names (``qualified_forms``), when that is a county, region,
    country or a city of ``LARGE_CITY`` people: a city has quarters and outskirts, a village's "North Side" is
    more likely a quarter of another place than that village ("East Side" is not the Turkish town Side)."""
    if label not in PLACE_LABELS or gaz.candidates(name):
        return None
    for form in qualified_forms(name):
        if any(p.kind in (*UNITS, "admin2") or p.population >= LARGE_CITY for p in gaz.candidates(form)):
            return form
    return None


def place_mention(key: str, label: str, model_label: str, name: str, start: int, gaz: Gazetteer) -> Mention | None:
    """The place a mention names: itself when it is a place (``is_place``) the gazetteer knows, the place a
    qualified place name names (``qualified_place``), the place a name is named after (``named_after``: where in the
    name it sits), or itself, unresolved, when it is a place by its label."""
    place = is_place(label, model_label, name, gaz)
    if place and gaz.candidates(name):
        return Mention(key, name, start, start + len(name))
    label = model_label if model_label in PLACE_LABELS else label
    if (part := qualified_place(label, name, gaz) or named_after(label, name, gaz)) is not None:
        at = name.rfind(part)
        return Mention(key, part, start + at, start + at + len(part))
    return Mention(key, name, start, start + len(name)) if place else None


def maybe_town(key: str, label: str, name: str, start: int, gaz: Gazetteer) -> Mention | None:
    """A name the small model took for an organisation, or (two words or more: one is more likely a surname) a
    person, that a town or county bears: a place if its article names the region it is in (``in_named_region``).
    The model tags a town that is the subject of a sentence or comes before a noun so ("Springfield police said",
    "a Springfield man"); an acronym in capitals is an organisation's (some are also a town's other name)."""
    if label not in ("ORG", "PERSON") or (label == "PERSON" and " " not in name.strip()) or name.isupper():
        return None
    if not any(p.kind in ("city", "admin2") for p in gaz.candidates(name)):
        return None
    return Mention(key, name, start, start + len(name))


def in_named_region(maybe: Iterable[Mention], mentions: Sequence[Mention], gaz: Gazetteer) -> list[Mention]:
    """The ``maybe_town`` names of an article that are a town or county of a region its places name (at their
    likeliest reading): a local paper's "Springfield" beside "Illinois" or "Peoria"."""
    regions = set(named_regions(mentions, gaz))
    return [m for m in maybe if any((p.country_code, p.admin1) in regions for p in gaz.candidates(m.name)
                                    if p.kind in ("city", "admin2"))]


def name_parts(name: str) -> list[str]:
    """Every part of a name ``place_mention`` may look up (for the gazetteer a run builds)."""
    return [*name_prefixes(name), *qualified_forms(name)]


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


def resolve(candidates: Sequence[Place], evidence: Evidence) -> Resolution:
    """The best candidate for the evidence, and how it was chosen."""
    if not candidates:
        return Resolution(None, "no candidate", 0)
    if len(candidates) == 1:
        return Resolution(candidates[0], "only candidate", 1)
    best = max(candidates, key=lambda p: (score(p, evidence), -(p.geonameid or 0)))
    how = "population" if best == most_likely(candidates) else "context"
    return Resolution(best, how, len(candidates))



def named_regions(mentions: Sequence[Mention], gaz: Gazetteer,
                  readings: dict[str, Place | None] | None = None) -> dict[tuple[str, str], set[str]]:
    """The regions (country, admin1) an article's place mentions name or lie in, at their likeliest reading (given
    by key in ``readings``, when known), with the keys that name each."""
    readings = readings or {m.key: most_likely(gaz.candidates(m.name)) for m in mentions}
    out: dict[tuple[str, str], set[str]] = {}
    for key, place in readings.items():
        if place is not None and place.country_code is not None and place.kind in ("admin1", "city") \
                and place.admin1 is not None:
            out.setdefault((place.country_code, place.admin1), set()).add(key)
    return out


def article_evidence(mentions: Sequence[Mention], gaz: Gazetteer, outlet_country: str | None) -> dict[str, Evidence]:
    """Each key's evidence from one article: the others' most likely readings, the qualifier after each mention."""
    readings = {m.key: most_likely(gaz.candidates(m.name)) for m in mentions}
    named_countries: dict[str, set[str]] = {}
    for key, place in readings.items():
        if place is not None and place.country_code is not None:
            named_countries.setdefault(place.country_code, set()).add(key)
    regions = named_regions(mentions, gaz, readings)
    out: dict[str, Evidence] = {}
    ordered = sorted(mentions, key=lambda m: m.start)
    for m in ordered:
        ev = out.setdefault(m.key, Evidence(articles=1))
        ev.countries.update(cc for cc, keys in named_countries.items() if keys - {m.key})
        ev.regions.update(r for r, keys in regions.items() if keys - {m.key})
        if outlet_country:
            ev.outlet_countries[outlet_country] = 1
    for this, after in itertools.pairwise(ordered):
        unit = readings.get(after.key)
        if 0 < after.start - this.end <= 2 and unit is not None and unit.kind in ("country", "admin1"):
            out[this.key].qualifiers[(unit.country_code or "", unit.admin1)] = 1
    for ev in out.values():  # once per article
        ev.countries = Counter(set(ev.countries))
        ev.regions = Counter(set(ev.regions))
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
    return total
