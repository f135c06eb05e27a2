"""Speech verbs: where a quote's clause says who spoke ("said", "told", "according to"), and where that clause ends.
``quotes`` finds the quotes and, from the verb found here, their speakers."""

from __future__ import annotations

import re
from collections.abc import Sequence

SPEECH = re.compile(
    r"\b(?:said|says|say|saying|told|tells|telling|added|adds|adding|stated|asked|asks|asking|wrote|writes|writing|"
    r"warned|warning|argued|arguing|explained|explaining|noted|noting|declared|insisted|insisting|claimed|claiming|"
    r"tweeted|replied|according to|commented|announced|acknowledged|continued|recalled|responded|countered|"
    r"admitted|suggested|posted|testified|predicted|promised|vowed|urged|conceded|complained|complaining|stressed|"
    r"emphasized|emphasised|observed|remarked|joked|quipped|shouted|recalls|called|calls|calling|"
    r"concluded|concludes|pointed out|points out|described|describes|reported|reports|fumed|denounced|accused|"
    r"cautioned|recounted|mused|scoffed|boasted|lamented|predicts|warns|argues|insists|claims|notes|explains|tweets|"
    r"admits|observes|concedes|continues|responds|replies|pronounced|declares|recounts|acknowledges)\b",
    re.IGNORECASE,
)
# "the saying", "the hacking claims": after a determiner, a speech verb's form is a noun; so are the plurals that
# are also nouns after a determiner and a word ("the senator claims" is a verb, "the hacking claims" is not).
_DETERMINER = re.compile(r"\b(?i:the|a|an)\s+$")
_INFINITIVE = re.compile(r"\bto\s+$", re.IGNORECASE)  # "a way to say", "declined to say": not a statement
_OTHER_CLAUSE = re.compile(r"\W*(?:though|although|but|while|because|whereas|as)\b", re.IGNORECASE)
_JOINED_PARTICIPLE = re.compile(r"(?:,\s*|\band\s+)\w+ing$", re.IGNORECASE)
_NOUN_PLURALS = frozenset(str.split("claims reports notes calls"))
_DETERMINER_AND_WORD = re.compile(r"\b(?i:the|a|an|his|her|their|its|these|those)\s+[a-z][\w-]*\s+$")
NAMING = ("call", "describ")  # verbs that give a thing a name: with a few words, a term rather than a statement


def verb_and_clause_end(text: str, sentences: Sequence[tuple[int, int]], index: int,
                         quote: re.Match[str]) -> tuple[int | None, int]:
    """The quote's speech verb and where its clause ends: its sentence, or the next one of the paragraph when the
    quote ends its own and the next opens with the attribution ('"… to do with his life?" Trump said.')."""
    first = sentences[index][0]
    last = next((e for s, e in sentences[index:] if s <= quote.end() <= e), sentences[index][1])
    verb = speech_verb(text, first, last, quote.span())
    if verb is None and index + 1 < len(sentences) and quote.end() >= last - 1:
        start, end = sentences[index + 1]
        if "\n" not in text[quote.end():start] and SPEECH.search(text, start, start + 40):
            return speech_verb(text, first, end, quote.span()), end
    return verb, last


def speech_verb(text: str, first: int, last: int, quote: tuple[int, int]) -> int | None:
    """The speech verb outside the quote in its clause, the one nearest the quote: after it first ('"…," Brandt
    said') unless a conjunction starts another clause there ('"…," though the company says'), else
    before it. A participle joined on ("…, the source said, adding"; "… and saying") has the subject
    of the speech verb before it, when there is one. A semicolon ends the clause: a list of people and their deeds,
    one per clause, does not lend one's verb to another's phrase."""
    after_end = text.find(";", quote[1], last)
    before_start = text.rfind(";", first, quote[0])
    after = [v for v in SPEECH.finditer(text, quote[1], after_end if after_end >= 0 else last) if _is_verb(text, v)]
    if after and not _OTHER_CLAUSE.match(text, quote[1]):
        return after[0].start()
    before = [v for v in SPEECH.finditer(text, before_start + 1 if before_start >= 0 else first, quote[0])
              if _is_verb(text, v)]
    nearest = before[-1] if before else None
    if (nearest and len(before) >= 2 and not nearest.group().lower().startswith(NAMING)
            and _JOINED_PARTICIPLE.search(text, max(0, nearest.start() - 6), nearest.end())):
        return before[-2].start()
    return nearest.start() if nearest else None


def _is_verb(text: str, verb: re.Match[str]) -> bool:
    """Not a noun ("the saying", "the hacking claims") nor an infinitive ("a way to say")."""
    at = verb.start()
    return not (_DETERMINER.search(text, max(0, at - 4), at) or _INFINITIVE.search(text, max(0, at - 3), at)
                or (verb.group().lower() in _NOUN_PLURALS and _DETERMINER_AND_WORD.search(text, max(0, at - 30), at)))
