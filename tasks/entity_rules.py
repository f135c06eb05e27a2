"""Rules around spaCy's NER for news text, on plain strings and spans (no spaCy objects), so each is testable.

- ``trim``: a leading "the", trailing possessives, numbers and punctuation come off a span ("the Dallas Cowboys",
  "Shatskikh Oleg 90").
- ``relabel_people``: a name with a role appositive ("Hong Min, a senior analyst at …") is a person.
- ``harmonise``: one name gets one label within an article (majority of its mentions; a longer name's label wins
  for its short forms).
- ``propagate``: a name the model tagged once is tagged at its other, missed occurrences in the same article.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
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
_LEADING = re.compile(r"^(?:(?:the|The|THE)\s+|[\s\"“‘'(\[]+)")


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    label: str
    model_label: str  # the label the model gave before any rule


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Span bounds without a leading "the" and trailing possessives, numbers and punctuation."""
    while True:
        span = text[start:end]
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
    long_names = [k for k in majority if " " in k]
    for key in majority:
        owners = {majority[k] for k in long_names if " " not in key and key in (k.split()[0], k.split()[-1])}
        if len(owners) == 1:
            label_of[key] = owners.pop()
    result = []
    for mention, key, text in zip(mentions, keys, texts, strict=True):
        label = majority[key] if is_acronym(text) else label_of[key]
        result.append(mention if mention.label == label else replace(mention, label=label))
    return result


def propagate(text: str, mentions: list[Mention], blocked: set[str] | None = None) -> list[Mention]:
    """Tag the other occurrences of each tagged name (two or more letters, capitalised) that overlap no mention."""
    taken = sorted((m.start, m.end) for m in mentions)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for m in mentions:
        labels[text[m.start : m.end]][m.label] += 1
    added: list[Mention] = []
    for name, counts in labels.items():
        if len(name) < 2 or not name[:1].isupper() or (blocked and name in blocked):
            continue
        label = counts.most_common(1)[0][0]
        for match in re.finditer(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            s, e = match.span()
            if any(s < te and e > ts for ts, te in taken):
                continue
            added.append(Mention(s, e, label, "(propagated)"))
            taken.append((s, e))
    return sorted([*mentions, *added], key=lambda m: (m.start, m.end))
