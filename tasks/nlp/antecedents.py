"""Which name a quote's speaker can be: names that only describe someone (``described``), and the person a "he" or
"she" stands for (``pronoun_antecedent``). ``quotes`` attributes quotes with them."""

from __future__ import annotations

import re
from collections.abc import Sequence

Span = tuple[int, int, str]  # (start, end, label) of a mention

# A name right after one of these is the object of a preposition ("met with Obama", "a letter to Pelosi"), not the
# one who speaks.
_PREPOSITION = re.compile(r"\b(?:with|(?<!according )to|by|for|of|about|from|against|at|in|on|than|and|like)"
                          r"\s+(?:the\s+)?$", re.IGNORECASE)
# ... and so is one after a title ("talks with U.S. Secretary of State Ana Lima", "referring to Harbor's Tomas Varga"),
# when the preposition follows a lower-case word (in "Secretary for Security Ana Lima" it is the title's) and the
# name is not the subject of a participle ("with Rep. Ana Lima saying"). Not after "at", "in", "on" (a place or a
# day: "On Monday Lima said"), "of" ("Secretary of State Lima said") nor "by" (an agent acts: "sought by Lima, who").
_PREPOSITION_TITLE = re.compile(r"\b(?:with|(?<!according )to|for|about|from|against|than|like)\s+"
                                r"(?:the\s+)?(?:[A-Z][\w.&'’-]*\s+(?:of\s+)?)+$")
_PARTICIPLE_AFTER = re.compile(r"\s+[a-z]+ing\b")
# "a Republican senator", "one Senate staffer", "another senior White House official": a name describing someone, not
# naming the one who speaks.
_INDEFINITE = re.compile(r"\b(?i:a|an|one|another|many|some|several|most|other)\s+(?:[a-z][\w-]*\s+){0,2}"
                         r"(?:[A-Z][\w.&'’-]*\s+)*$")
# "Rick Tyler, a former Cruz spokesman, said": a name inside an appositive describes the speaker.
_APPOSITIVE = re.compile(r",\s+(?:a|an|the|his|her|their|its)\s[^,]*$", re.IGNORECASE)
_TITLE_OF = {"she": re.compile(r"\b(?:Mr|Sir|Lord)\.?\s+$"), "he": re.compile(r"\b(?:Mrs|Ms|Miss|Lady|Dame)\.?\s+$")}
_LOWER = re.compile(r"\b[a-z]")
_FRAGMENT = re.compile(r"\s*(?:[a-z]|[-—–])")  # a sentence the model cut off from the one before it
# "The harbor columnist then invited Varga": a sentence whose subject is a description, its first name an object
_DESCRIBED_SUBJECT = re.compile(r"\W*(?:The|A|An)\s+(?:[A-Z][\w.’'-]*\s+)*(?:[a-z][\w’'-]*\s+){3,}$")


def described(text: str, first: int, mention: Span) -> bool:
    """A name that is the object of a preposition (with or without a title), follows "a"/"an", or sits in an
    appositive: not a speaker. Only a comma after the name closes a long appositive ("X, a professor and former head
    of the office under Y, wrote"); without one, the description may lead to the speaker ("…, the nation's top
    expert Dr. Y said")."""
    start, end = mention[0], mention[1]
    appositive = 120 if text[end:end + 1] == "," else 40  # how far back the appositive's comma is looked for
    return bool(_PREPOSITION.search(text, max(first, start - 16), start)
                or _after_titled_preposition(text, first, start, end)
                or _INDEFINITE.search(text, max(first, start - 40), start)
                or _APPOSITIVE.search(text, max(first, start - appositive), start))


def _after_titled_preposition(text: str, first: int, start: int, end: int) -> bool:
    """A name after a preposition and a title (``_PREPOSITION_TITLE``) that is not the title's own preposition (the
    word before it is not capitalised) nor the subject of a participle after the name."""
    found = _PREPOSITION_TITLE.search(text, max(first, start - 60), start)
    if found is None or _PARTICIPLE_AFTER.match(text, end):
        return False
    before = text[max(first, found.start() - 40) : found.start()].split()
    return not before or not before[-1][:1].isupper()


def pronoun_antecedent(text: str, sentences: Sequence[tuple[int, int]], paragraph: int, mentions: Sequence[Span],
                       spoken: tuple[int, int] | None, pronoun: str) -> int | None:
    """Whom "he" or "she" means: the first person named in the last sentence before the quote's that names one,
    in the quote's paragraph or the one before it; but the speaker of the last quote when no one is named after
    that quote's sentence ('"…," Trump told Dowd. Then he told Stephanopoulos: "…"' is Trump again). A person
    named with the other gender's title ("she" and Sir Vince Cable) is not meant.

    Nobody, when another could be meant:
    - a sentence naming two people (told apart by surname: "Donald Trump" and "Mr. Trump" are one), or naming one
      after another named in a preposition ("From Varga, no posts attacking Lima"): the first named is the subject
      more often than not, but not often enough to name a speaker on;
    - a sentence whose subject is a description ("The harbor columnist then invited Varga …"): "he" is the
      columnist, whose name the sentence does not give;
    - a line with no lowercase word between (a caption or heading such as "Photo Gallery (6 Images)"): the text around
      it may have moved on to someone else.
    A sentence the model cut ("Lima -- part of Varga's team -- agrees", cut before "--") is read whole."""
    other_gender = _TITLE_OF.get(pronoun.lower())
    gap = paragraph
    while gap > 0 and text[gap - 1] in "\n ":  # the blank lines between paragraphs
        gap -= 1
    since = text.rfind("\n", 0, gap) + 1
    for i in range(len(sentences) - 1, -1, -1):
        s, e = sentences[i]
        if e <= since:
            break
        if spoken and s <= spoken[0] < e:
            return spoken[1]
        if i < len(sentences) - 1 and not _LOWER.search(text, s, e):  # (the last is the quote's sentence's lead)
            return None
        whole = i
        while whole > 0 and _FRAGMENT.match(text, sentences[whole][0]):
            whole -= 1
        s = sentences[whole][0]
        named = [m for m in mentions if m[2] == "PERSON" and s <= m[0] < e
                 and not (other_gender and other_gender.search(text, max(0, m[0] - 6), m[0]))]
        people = [m for m in named if not described(text, s, m)]
        if not people:
            continue
        if _DESCRIBED_SUBJECT.match(text, s, min(people)[0]):
            return None
        first = [m for m in named if m[0] <= min(people)[0]]  # with any named before it in a preposition
        return min(people)[0] if len({text[m[0]:m[1]].split()[-1].lower() for m in [*first, *people]}) == 1 else None
    return None
