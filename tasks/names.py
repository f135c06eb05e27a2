"""Entity names: the display form of a mention and the normalised key that variants share."""

from __future__ import annotations

import functools
import re
import unicodedata

_POSSESSIVE = re.compile(r"['’]s?$")
_DASHES = re.compile(r"[-‐‑‒–—]")
_NOT_WORD = re.compile(r"(?<!\d)\.|\.(?!\d)|[^\w&\s.]")  # a decimal point stays: $4.2 million is not $42 million
MAX_ACRONYM = 5
# Entity types whose mentions share ids across these labels (the model often swaps them).
LABEL_FAMILY = {"GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
# Labels of named things (people, organisations, places ...), as opposed to dates, numbers and amounts.
NAME_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW")
VALUE_LABELS = ("DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL")  # OntoNotes' other labels


@functools.lru_cache(maxsize=4096)  # names repeat within an article and across a batch
def display_name(mention: str) -> str:
    """A mention as a name: whitespace collapsed, possessive "’s" removed."""
    return _POSSESSIVE.sub("", " ".join(mention.split())).strip() or mention.strip()


@functools.lru_cache(maxsize=4096)
def entity_key(mention: str) -> str:
    """Normalised name: case, hyphen, apostrophe, diacritic and leading-"the" variants give one key (a point
    between digits is kept)."""
    text = unicodedata.normalize("NFKD", display_name(mention))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = _NOT_WORD.sub("", _DASHES.sub(" ", text))
    return " ".join(text.split()).removeprefix("the ")


def is_acronym(mention: str) -> bool:
    """One short all-capital word: UN, NATO, KCNA. Never a short form of a person's name."""
    word = mention.strip()
    return " " not in word and word.isupper() and len(word) <= MAX_ACRONYM
