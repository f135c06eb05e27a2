"""Author names from bylines and author fields: a clean list of person names, no "By", roles, dates or outlets."""

from __future__ import annotations

import re
from collections.abc import Iterable

OUTLET_WORDS = frozenset({
    "News", "Times", "Post", "Press", "Journal", "Tribune", "Herald", "Network", "Reuters", "AP", "AFP", "Agency",
    "Daily", "Magazine", "Media", "Online", "TV", "Radio", "Guardian", "Telegraph", "Mail", "Sun", "Star", "Digital",
    "Wire", "Associated", "Gazette", "Chronicle", "Observer", "Review", "Report", "Insider", "Today", "Weekly",
    "Express", "Independent", "Standard", "Examiner", "Bloomberg", "CNN", "BBC", "NPR", "TIME", "Staff",
})
MAX_AUTHORS = 6  # more names than this is a staff list or a page's "more from" box, not a byline

_SEPARATORS = re.compile(r"\s*(?:,|;|\||·|•|—|–|\s-\s|\band\b|&|\n)\s*")
_LEAD = re.compile(r"^(?:(?:written|posted|reported|photos?|words)\s+)?by:?\s+|^(?:author|著者|文)\s*[:：]\s*",
                   re.IGNORECASE)
_EMAIL_URL = re.compile(r"\S+@\S+\.\S+|https?://\S+|www\.\S+")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_TAIL_NOISE = re.compile(
    rf"\s+(?:updated|published|posted|follow|email|twitter|view profile|more by .*|"
    rf"ceo|cfo|founder|editor(?: at large| in chief)?|senior \w+|staff writer|reporter|correspondent|"
    rf"contributor|columnist|producer|{_MONTHS}(?:\s+\d.*)?|\d.*)$",
    re.IGNORECASE,
)
_ROLE_ONLY = re.compile(
    r"^(?:editor|admin|staff|team|reporter|contributor|guest|anonymous|unknown|updated|published|posted|follow|"
    r"share|email|twitter|facebook|more)$",
    re.IGNORECASE,
)


def parse_byline(rest: str, before: str | None = None) -> tuple[list[str], str | None]:
    """Authors and outlet from the text after "By" ("Jasmine Baehr Fox News", "A and B, Reuters")."""
    rest = rest.strip()
    if before and rest.startswith(before.strip()):  # "Jasmine Baehr By Jasmine Baehr Fox News"
        return [before.strip()], rest[len(before.strip()) :].strip(" ,|-–—") or None
    authors: list[str] = []
    outlet: str | None = None
    for part in filter(None, _SEPARATORS.split(rest)):
        name, part_outlet = split_outlet(part, first=not authors)
        outlet = outlet or part_outlet
        if name and looks_like_name(name):
            authors.append(name)
    return authors, outlet


def split_outlet(part: str, *, first: bool = True) -> tuple[str | None, str | None]:
    """("Jane Doe Fox News") → ("Jane Doe", "Fox News"); ("The Washington Post") → (None, "The Washington Post")."""
    tokens = part.split()
    if not tokens:
        return None, None
    caps = [t.isupper() and len(t) > 1 for t in tokens]
    if len(tokens) > 2 and caps[-1] and not caps[0]:  # "Meg Wagner NEW YORK DAILY NEWS"
        cut = len(tokens) - next(i for i, c in enumerate(reversed(caps)) if not c)
        return " ".join(tokens[:cut]), " ".join(tokens[cut:])
    outletish = [t.strip(".,").title() in OUTLET_WORDS or t.strip(".,") in OUTLET_WORDS for t in tokens]
    if first and tokens[0] != "The" and len(tokens) > 2 and outletish[-1]:
        k = min(3, len(tokens) - 2)
        while k > 1 and not tokens[-k][:1].isupper():
            k -= 1
        if not any(outletish[:-k]):
            return " ".join(tokens[:-k]), " ".join(tokens[-k:])
    if any(outletish):
        return None, part
    return part, None


def looks_like_name(text: str) -> bool:
    """One to five words, capitalised (or in a script without case), no digits."""
    tokens = text.split()
    if not 1 <= len(tokens) <= 5 or any(ch.isdigit() for ch in text) or _ROLE_ONLY.match(text):
        return False
    if len(tokens) == 1 and text.isupper() and len(text) <= 4:  # an agency acronym: AP, AFP, PTI
        return False
    return not _is_particle(tokens[0]) and all(t[:1].isupper() or not t[:1].isascii() or _is_particle(t)
                                               for t in tokens)


# Lower-case particles inside personal names: Romance (de la, del, di, dos), Dutch and German (van, der, von, ter),
# Arabic (bin, ibn, al-, el-). A name never starts with one ("de la Garza" alone is not a byline).
_PARTICLES = frozenset({"de", "del", "della", "di", "da", "das", "do", "dos", "du", "la", "le", "van", "von", "der",
                        "den", "ter", "ten", "zu", "bin", "bint", "ibn", "al", "el", "y"})


def _is_particle(token: str) -> bool:
    return token in _PARTICLES or (token.split("-", 1)[0] in {"al", "el"} and "-" in token)


def clean_authors(values: Iterable[str]) -> tuple[str, ...]:
    """Person names from author fields or bylines, in order, without repeats; () for a staff list."""
    names: list[str] = []
    for value in values:
        text = _EMAIL_URL.sub(" ", " ".join(value.split()))
        for part in filter(None, _SEPARATORS.split(text)):
            name = _clean_name(part)
            if name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
    return tuple(names) if len(names) <= MAX_AUTHORS else ()


def _clean_name(part: str) -> str | None:
    name = _LEAD.sub("", part.strip(" ,;|[]()")).strip()
    while (stripped := _TAIL_NOISE.sub("", name)) != name:
        name = stripped
    tokens = name.split()
    half = len(tokens) // 2
    for n in range(half, 0, -1):  # a name printed twice: "Ivo Brandt Ivo Brandt"
        if tokens[:n] == tokens[n : 2 * n]:
            tokens = tokens[:n]
            break
    person, _outlet = split_outlet(" ".join(tokens))
    if not person or not looks_like_name(person):
        return None
    return person.title() if person.isupper() and len(person) > 3 else person
