"""Rules around spaCy's NER for news text, on plain strings and spans (no spaCy objects), so each is testable.

- ``trim``: a leading "the" or dateline date, trailing possessives, numbers and punctuation come off a span ("the
  Lakeside Rovers", "Petrenko Ivan 90", "27/09/2013-Ashgabat"), and a span stops at a line break: a name does not
  run from one paragraph or heading into the next ("April 2, 2013\n\nTelco" is a date, then a new line).
- ``relabel_people``: a name with a role appositive ("Hong Min, a senior analyst at …") is a person.
- ``harmonise``: one name gets one label within an article (majority of its mentions; a longer name's label wins
  for its short forms).
- ``headline_names``: in a headline-cased line ("HP To Acquire Data Center Firm") the model's spans run over the
  capitalised verbs and words around a name; a span holding a name the article tags outside its headlines becomes
  that name (or those names).
- ``propagate``: a name the model tagged once is tagged at its other, missed occurrences in the same article, and so
  is the surname of a full person name ("Timmons" after "Jermayne Timmons").
- ``short_form_owner``: a one-word person name ("Kim", "Putin") is the full name it starts or ends ("Kim Jong Un",
  "Vladimir Putin") when exactly one such full name is in the article; with two candidates ("Kim Jong Un",
  "Kim Ju-ae") it stays as it is.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from tasks.names import entity_key, is_acronym

# Trailing numbers, possessives and punctuation; a full stop unless it ends an abbreviation ("U.S.", "Inc.").
_TRAILING = re.compile(r"(?:\s+(?:\d[\d.,:/-]*|[-–—(]))+$|['’]s?$|[\s,;:!?\"”’'()\[\]-]+$")
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Inc|Corp|Ltd|Co|Jr|Sr|St|Bros|Mass|Calif)\.$")
_ROLES = (
    "analyst|spokesman|spokeswoman|spokesperson|minister|president|director|professor|researcher|official|leader|"
    "chairman|chairwoman|chair|ceo|founder|coach|author|writer|reporter|editor|lawyer|attorney|senator|governor|"
    "mayor|diplomat|economist|scientist|expert|player|striker|midfielder|defender|goalkeeper|captain|manager|actor|"
    "actress|singer|member|secretary|ambassador|general|commander|judge|doctor|student|teacher|resident|"
    "executive|partner|adviser|advisor|strategist|historian|activist|candidate|lawmaker|congressman|congresswoman"
)
_APPOSITIVE_ROLE = re.compile(rf"^,\s+(?:a|an|the|his|her|their|its)\s+(?:[\w-]+\s+){{0,4}}?(?:{_ROLES})s?\b",
                              re.IGNORECASE)
_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_FUNCTION_WORDS = frozenset(str.split("""about after against among before between from into over that their there
    these this those through under until upon what when where which while with within without would could should"""))
_LEADING = re.compile(r"^(?:['’]s\s+|(?:the|The|THE)\s+|[\s\"“‘'(\[]+|\d{1,4}[/.]\d{1,2}[/.]\d{2,4}\s*[-–—]\s*)")


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    label: str
    model_label: str  # the label the model gave before any rule


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Span bounds without a leading "the", date or possessive "’s" (the model's span began inside "Trump’s
    Twitter") and trailing possessives, numbers and punctuation, within the first line of the span that holds a
    word."""
    while True:
        span = text[start:end]
        if (line_break := span.find("\n")) >= 0:
            first, rest = span[:line_break], span[line_break:]
            if _WORD.search(first):
                end = start + len(first)
            else:
                start += len(first) + len(rest) - len(rest.lstrip())
            continue
        lead = _LEADING.match(span)
        if lead and end - start - lead.end() >= 2:
            start += lead.end()
            continue
        tail = _TRAILING.search(span)
        if tail and tail.start() >= 2:
            end = start + tail.start()
            continue
        if span.endswith(".") and len(span) > 2 and not _ABBREVIATION.search(span):
            end -= 1
            continue
        return start, end


def relabel_people(text: str, mentions: list[Mention]) -> list[Mention]:
    """A name followed by a role appositive ("Hong Min, a senior analyst at …") is a person."""
    return [replace(m, label="PERSON") if m.label != "PERSON" and _APPOSITIVE_ROLE.match(text[m.end : m.end + 80])
            else m for m in mentions]


def harmonise(mentions: list[Mention], texts: list[str]) -> list[Mention]:
    """One label per name in an article: the majority label of its mentions; a one-word name (not an acronym)
    takes the label of the multi-word name it is the first or last word of, when there is exactly one."""
    keys = [entity_key(t) for t in texts]
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for mention, key in zip(mentions, keys, strict=True):
        votes[key][mention.label] += 1
    majority = {key: counts.most_common(1)[0][0] for key, counts in votes.items()}
    label_of = dict(majority)
    end_word_labels: dict[str, set[str]] = defaultdict(set)  # first or last word of a multi-word name → its labels
    for key, label in majority.items():
        if " " in key:
            words = key.split()
            end_word_labels[words[0]].add(label)
            end_word_labels[words[-1]].add(label)
    for key in majority:
        owners = end_word_labels.get(key, set()) if " " not in key else set()
        if len(owners) == 1:
            label_of[key] = next(iter(owners))
    result = []
    for mention, key, text in zip(mentions, keys, texts, strict=True):
        label = majority[key] if is_acronym(text) else label_of[key]
        result.append(mention if mention.label == label else replace(mention, label=label))
    return result


def headline_names(text: str, mentions: list[Mention]) -> list[Mention]:
    """Spans in headline-cased lines cut to the names inside them that the article tags outside its headlines
    (longest first, without overlaps); a span holding none is kept as it is."""
    headlines = [(m.start(), m.end()) for m in _LINE.finditer(text) if _headline_cased(m.group())]
    if not headlines:
        return mentions
    inside = [any(s <= m.start < e for s, e in headlines) for m in mentions]
    known = sorted({text[m.start : m.end] for m, head in zip(mentions, inside, strict=True) if not head}, key=len,
                   reverse=True)
    out: list[Mention] = []
    for m, head in zip(mentions, inside, strict=True):
        span = text[m.start : m.end]
        if not head or span in known:
            out.append(m)
            continue
        parts: list[tuple[int, int]] = []
        for name in known:
            for s, e in _whole_word_occurrences(span, name):
                if all(e <= ps or s >= pe for ps, pe in parts):
                    parts.append((s, e))
        if parts:
            out.extend(replace(m, start=m.start + s, end=m.start + e) for s, e in sorted(parts))
        else:
            out.append(m)
    return out


def _headline_cased(line: str) -> bool:
    """Title case: of three or more words of four letters or more (function words aside), most are capitalised."""
    words = [w for w in _WORD.findall(line) if len(w) >= 4 and w.casefold() not in _FUNCTION_WORDS]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def propagate(text: str, mentions: list[Mention], blocked: set[str] | None = None) -> list[Mention]:
    """Tag the other occurrences of each tagged name (two or more letters, capitalised) that overlap no mention,
    and the occurrences of the surname (three letters or more) of a full person name. Names are taken in order of
    first mention; an occurrence is a whole word (no letter, digit, "_" or "-" on either side)."""
    taken = sorted((m.start, m.end) for m in mentions)  # disjoint spans, so their ends are sorted too
    starts, ends = [s for s, _ in taken], [e for _, e in taken]
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for m in mentions:
        labels[text[m.start : m.end]][m.label] += 1
    for m in mentions:
        words = text[m.start : m.end].split()
        surname = words[-1] if m.label == "PERSON" and len(words) > 1 else ""
        if len(surname) >= 3 and surname[:1].isupper() and surname not in labels:
            labels[surname]["PERSON"] = 1
    added: list[Mention] = []
    for name, counts in labels.items():
        if len(name) < 2 or not name[:1].isupper() or (blocked and name in blocked):
            continue
        label = counts.most_common(1)[0][0]
        for s, e in _whole_word_occurrences(text, name):
            i = bisect.bisect_left(starts, e)  # spans before i start before e: the last of them ends last
            if i and ends[i - 1] > s:
                continue
            added.append(Mention(s, e, label, "(propagated)"))
            starts.insert(i, s)
            ends.insert(i, e)
    return sorted([*mentions, *added], key=lambda m: (m.start, m.end))


def _whole_word_occurrences(text: str, name: str) -> Iterator[tuple[int, int]]:
    """Non-overlapping occurrences of ``name``, left to right, as the regex ``(?<![\\w-])name(?![\\w-])`` finds them
    (str.find: one compiled regex per name cost more than the search)."""
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        if not (start and _is_word_char(text[start - 1])) and not (end < len(text) and _is_word_char(text[end])):
            yield start, end
            start = text.find(name, end)
        else:
            start = text.find(name, start + 1)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def short_form_owner(key: str, full_keys: Iterable[str]) -> str | None:
    """The one multi-word key that ``key`` (one word) starts or ends, or None when none or several do."""
    if " " in key:
        return None
    owners = {k for k in full_keys if " " in k and (k.split()[0] == key or k.split()[-1] == key)}
    return owners.pop() if len(owners) == 1 else None
