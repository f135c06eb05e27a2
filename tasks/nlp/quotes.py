"""Quotes: text inside quotation marks, attributed to the person (or organisation) the sentence says spoke it.

'Hong Min, a senior analyst at …, told Yonhap the images appear designed to shape a "victory narrative"': the
quote is "victory narrative"; the speech verb "told" stands outside it; the speaker is the nearest person named
before the verb in the same sentence (else just after it: '…," said Elena Brandt'), else an organisation, else
nobody (a pronoun such as "she said" is not resolved).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_QUOTE = re.compile(r"“([^”]{3,2000})”|\"([^\"]{3,2000})\"|«([^»]{3,2000})»|„([^“”]{3,2000})[“”]")
_SPEECH = re.compile(
    r"\b(?:said|says|say|told|tells|added|adds|stated|asked|wrote|writes|warned|argued|explained|noted|declared|"
    r"insisted|claimed|tweeted|replied|according to|commented|announced|acknowledged)\b",
    re.IGNORECASE,
)
MIN_WORDS = 2
SPEAKER_LABELS = ("PERSON", "ORG")


@dataclass(frozen=True, slots=True)
class Quote:
    sentence_index: int
    start: int  # offsets of the quoted words, inside the quotation marks
    end: int
    speaker_start: int | None  # offset of the speaker's mention, if attributed


def find_quotes(text: str, sentences: Sequence[tuple[int, int]],
                mentions: Sequence[tuple[int, int, str]]) -> list[Quote]:
    """Quotes in ``text``; ``sentences`` and ``mentions`` ((start, end, label)) are offsets into it."""
    found = []
    for match in _QUOTE.finditer(text):
        group = next(g for g in range(1, 5) if match.group(g) is not None)
        start, end = match.span(group)
        if len(text[start:end].split()) < MIN_WORDS:
            continue
        index = next((i for i, (s, e) in enumerate(sentences) if s <= match.start() < e), None)
        if index is None:
            continue
        first = sentences[index][0]
        last = next((e for s, e in sentences[index:] if s <= match.end() <= e), sentences[index][1])
        found.append(Quote(index, start, end, _speaker(text, first, last, match.span(), mentions)))
    return found


def _speaker(text: str, first: int, last: int, quote: tuple[int, int],
             mentions: Sequence[tuple[int, int, str]]) -> int | None:
    outside = [(s, e) for s, e in ((first, quote[0]), (quote[1], last)) if e > s]
    verbs = [m.start() + s for s, e in outside for m in _SPEECH.finditer(text[s:e])]
    if not verbs:
        return None
    verb = verbs[0]
    for label in SPEAKER_LABELS:
        candidates = [m for m in mentions if m[2] == label and first <= m[0] and m[1] <= last
                      and not (quote[0] <= m[0] < quote[1])]
        before = [m for m in candidates if m[1] <= verb]
        after = [m for m in candidates if m[0] > verb and m[0] - verb <= 40]
        if before:
            return max(before, key=lambda m: m[0])[0]
        if after:
            return min(after, key=lambda m: m[0])[0]
    return None
