"""Rules around spaCy's NER for news text, on plain strings and spans (no spaCy objects), so each is testable.

- ``trim``: a leading "the", trailing possessives, numbers and punctuation come off a span ("the Dallas Cowboys",
  "Shatskikh Oleg 90").
- ``harmonise``: one name gets one label within an article (majority of its mentions; a longer name's label wins
  for its short forms).
- ``propagate``: a name the model tagged once is tagged at its other, missed occurrences in the same article.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

_TRAILING = re.compile(r"(?:\s+(?:\d[\d.,:/-]*|[-–—(]))+$|['’]s?$|[\s.,;:!?\"”’'()\[\]-]+$")
_LEADING = re.compile(r"^(?:the|The|THE)\s+")


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
        return start, end


def harmonise(mentions: list[Mention], keys: list[str]) -> list[Mention]:
    """One label per name key in an article: the majority label of its mentions; a single-word key takes the
    label of the multi-word name it is the first or last word of, when there is exactly one such name."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for mention, key in zip(mentions, keys, strict=True):
        votes[key][mention.label] += 1
    label_of = {key: counts.most_common(1)[0][0] for key, counts in votes.items()}
    long_names = [k for k in label_of if " " in k]
    for key in label_of:
        if " " in key:
            continue
        owners = {label_of[k] for k in long_names if k.split()[0] == key or k.split()[-1] == key}
        if len(owners) == 1:
            label_of[key] = owners.pop()
    return [m if m.label == label_of[k] else replace(m, label=label_of[k]) for m, k in zip(mentions, keys, strict=True)]


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
