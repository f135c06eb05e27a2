"""Which names are one entity across the warehouse beyond near-identical spellings (``entity_merge``).

Each rule links name keys of named things (any name label: the entity's label is the vote of its mentions), with
its guard:

- **Same core.** Titles before a name (Dr, Sen., President), degree and company suffixes after it (MD, Inc., Co.),
  a country code around a longer name (U.S. Surgeon General, … USA) and initials (W. Mark Felt) are not the name:
  "dr sanjay gupta" and "sanjay gupta" are one person, "hewlett packard co" and "hewlett packard" one company.
  Guards: a company's name joins no person's ("Trump, Inc." is not the man), nor a son's (Jr.) his father's;
  names whose initials differ (George H. W. Bush, George W. Bush) stay apart, and the bare "george bush" then joins
  neither, unless one set of initials is mentioned ten times as often as the next (stray letters such as "a"
  before a name are not initials). A person's middle names count as their initials: "Frederick Cheney Larue" is
  "Frederick C. Larue".
- **Surname.** A one-word name most often labelled a person joins the multi-word person name that ends with it
  ("Felt" → W. Mark Felt) when it is the only one, or mentioned ten times as often as the next (a long tail of
  mis-tagged spans such as "Watch Obama" cannot outvote it). Guard: two comparable names (Hunter and Joe Biden)
  → left alone; inside an article the NLP stage resolves it to the one named there.
- **Nickname.** A person's two-word name whose first name is a nickname (Fred, Bill, Kate; the ``nicknames``
  package's curated list) joins the one full name with the same surname and a first name it is short for
  ("Fred Larue" → Frederick C. Larue). Guard: two such names (Christopher and Christine beside "Chris") → left alone.
- **Acronym.** A short all-capital name joins the one multi-word name whose initials it is (HP → Hewlett-Packard,
  EDS → Electronic Data Systems) that it appears with in one article at least once (the article's own evidence that
  it stands for that name). Guard: two such names (HP beside Hewlett-Packard in some articles, beside Huffington
  Post in others) → left alone; two spellings of one name (Harbor Worker/Workers Relief Act: ``spelling``) are
  one.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping

from nicknames import NickNamer

from tasks.aggregate.spelling import same_entity

TITLES = frozenset(str.split("""mr mrs ms miss mx dr prof sir dame rev fr sen senator rep representative gov
    governor president pres vice gen general col colonel capt captain lt sgt adm admiral judge justice
    coroner sheriff mayor minister chancellor secretary chairman chairwoman ceo former late"""))
COMPANY = frozenset(str.split("inc corp co company corporation ltd llc plc gmbh ag"))
SUFFIXES = frozenset(str.split("md phd mba esq")) | COMPANY  # not Jr. or Sr.: a son is not his father
COUNTRY_CODES = frozenset(str.split("us usa uk"))  # "U.S. Surgeon General", "Harbor Mobile USA"
_INITIAL_SKIP = frozenset(str.split("of and the for de du la"))  # not in an acronym: Bank of America is BA, not BOA

Key = tuple[str, str]  # (family, name key)
NAMED = "NAME"  # the family of named things; dates, numbers and amounts are never linked
DOMINANCE = 10  # a surname goes to the full name mentioned this many times as often as the next


def core(key: str, person: bool = False) -> tuple[str, tuple[str, ...]]:
    """A name key without titles, suffixes and initials, and the initials it had; a ``person``'s middle names
    count as their initials."""
    words = _run_on(key.split()) if person else key.split()
    while (len(words) > 1 and words[0] in TITLES) or (len(words) > 2 and words[0] in COUNTRY_CODES):
        words.pop(0)
    while (len(words) > 1 and words[-1] in SUFFIXES) or (len(words) > 2 and words[-1] in COUNTRY_CODES):
        words.pop()
    full = [i for i, w in enumerate(words) if len(w) > 1]
    if person and len(full) >= 3:
        words = [w[0] if full[0] < i < full[-1] else w for i, w in enumerate(words)]
    initials = tuple(w for w in words if len(w) == 1 and w.isalpha())  # "&" after a name is no initial
    if initials and len(words) - len(initials) >= 2:
        return " ".join(w for w in words if len(w) > 1), initials
    return " ".join(words), ()


def _run_on(words: list[str]) -> list[str]:
    """A person's name run on into itself, as captions under a heading repeat it ("Lena Okafor Okafor", "Lena
    Okafor Lena Okafor"), is that name: a repeated word is no middle name. Two words stay (a few people are named
    so)."""
    if len(words) < 3:
        return words
    half = len(words) // 2
    if len(words) % 2 == 0 and words[:half] == words[half:]:
        return words[:half]
    return [w for i, w in enumerate(words) if i == 0 or w != words[i - 1]]


def initials(key: str) -> str:
    """The acronym a multi-word name makes: the first letters of its words ("electronic data systems" → "eds")."""
    words = [w for w in key.split() if w not in _INITIAL_SKIP]
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def identity_pairs(names: list[Key], is_person: Callable[[Key], bool], is_acronym: Callable[[Key], bool],
                   together: Callable[[Key, Key], bool],
                   weight: Callable[[Key], int] = lambda _: 1) -> Iterator[tuple[Key, Key]]:
    """Pairs of names that are one entity by the rules above; ``together``: mentioned in one article."""
    cores: dict[tuple[str, str], dict[tuple[str, ...], list[Key]]] = defaultdict(lambda: defaultdict(list))
    for name in names:
        if name[0] != NAMED:
            continue
        stem, dropped = core(name[1], is_person(name))
        cores[(name[0], stem)][dropped].append(name)
    for variants in cores.values():  # "Trump, Inc." is not the man: a company's name joins no person
        if any(is_person(m) for members in variants.values() for m in members):
            for members in variants.values():
                members[:] = [m for m in members if m[1].rsplit(" ", 1)[-1] not in COMPANY or " " not in m[1]]
    by_core: dict[tuple[str, str], list[Key]] = {}
    every: dict[tuple[str, str], list[Key]] = {}  # all of a core's names, whether or not they are one entity
    for name_core, variants in cores.items():
        spelled = sorted((sum(weight(m) for m in members), dropped) for dropped, members in variants.items() if dropped)
        groups = [list(members) for members in variants.values()]
        if len(spelled) <= 1 or spelled[-2][0] * DOMINANCE <= spelled[-1][0]:
            # one set of initials, or one far more mentioned than the others (stray letters such as "a" or "'s"
            # before a name): the bare name is that person
            groups = [[m for members in variants.values() for m in members]]
        for members in groups:
            yield from ((members[0], other) for other in members[1:])
        by_core[name_core] = groups[0] if len(groups) == 1 else []
        every[name_core] = [m for members in groups for m in members]
    yield from _surnames(by_core, every, is_person, weight)
    yield from _nicknames(by_core, is_person)
    yield from _acronyms(by_core, is_acronym, together)


def _surnames(by_core: Mapping[tuple[str, str], list[Key]], every: Mapping[tuple[str, str], list[Key]],
              is_person: Callable[[Key], bool], weight: Callable[[Key], int]) -> Iterator[tuple[Key, Key]]:
    """A full name whose core is split by its initials (George H. W. and George W. Bush) still owns its surname:
    it makes the bare surname ambiguous, though it is no one entity to join."""
    full: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for (family, stem), members in every.items():
        if " " in stem and members and is_person(members[0]):
            full[(family, stem.rsplit(" ", 1)[1])].add((family, stem))
    for (family, stem), members in by_core.items():
        owners = full.get((family, stem), set()) if " " not in stem and members else set()
        if not owners or not is_person(members[0]):
            continue
        sizes = sorted(((sum(weight(m) for m in every[o]), o) for o in owners), reverse=True)
        if (len(sizes) == 1 or sizes[1][0] * DOMINANCE <= sizes[0][0]) and by_core[sizes[0][1]]:
            yield members[0], by_core[sizes[0][1]][0]


@functools.cache
def full_names_of(nickname: str) -> frozenset[str]:
    """The first names ``nickname`` (lower case) is short for ("fred" → "frederick", "alfred", …)."""
    return frozenset(_nicknamer().canonicals_of(nickname))


@functools.cache
def _nicknamer() -> NickNamer:  # loaded on first use: reading its list takes a tenth of a second
    return NickNamer()


def _nicknames(by_core: Mapping[tuple[str, str], list[Key]],
               is_person: Callable[[Key], bool]) -> Iterator[tuple[Key, Key]]:
    people: dict[tuple[str, str], list[str]] = defaultdict(list)  # (family, surname) -> first names
    for (family, stem), members in by_core.items():
        if members and stem.count(" ") == 1 and is_person(members[0]):
            first, surname = stem.split()
            people[(family, surname)].append(first)
    for (family, surname), firsts in people.items():
        for first in firsts:
            owners = [f for f in firsts if f in full_names_of(first)]
            if len(owners) == 1:
                yield by_core[(family, f"{first} {surname}")][0], by_core[(family, f"{owners[0]} {surname}")][0]


def _acronyms(by_core: Mapping[tuple[str, str], list[Key]], is_acronym: Callable[[Key], bool],
              together: Callable[[Key, Key], bool]) -> Iterator[tuple[Key, Key]]:
    expansions: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for (family, stem), members in by_core.items():
        if members and (letters := initials(stem)):
            expansions[(family, letters)].append((family, stem))
    for (family, stem), members in by_core.items():
        if " " in stem or not members or not any(is_acronym(m) for m in members):
            continue
        seen = [f for f in expansions.get((family, stem), [])
                if any(together(a, b) for a in members for b in by_core[f])]
        if seen and all(same_entity(seen[0][1], f[1]) for f in seen[1:]):  # spellings of one name are one expansion
            yield members[0], by_core[seen[0]][0]
