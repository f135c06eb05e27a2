"""When two entity names are one entity: short forms within an article, near-identical spellings across articles.

Merge rules, each with its guard:
- within an article, a one-word person name ("Kim", "Putin") is the full name it starts or ends ("Kim Jong Un",
  "Vladimir Putin") when exactly one such full name is in the article; with two candidates ("Kim Jong Un",
  "Kim Ju-ae") it stays as it is;
- across articles, two names of the same type merge when every word but one is equal and that one differs by a
  suffix of at most two letters or by one edit in a word of five or more letters (Lyubimov/Lyubimova,
  Zelensky/Zelenskyy); names with a different number of words, or two differing words (Kim Jong Un/Kim Ju Ae),
  never merge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from tasks.groups import DisjointSets

MAX_SUFFIX = 2
MIN_EDIT_LENGTH = 5


def short_form_owner(key: str, full_keys: Iterable[str]) -> str | None:
    """The one multi-word key that ``key`` (one word) starts or ends, or None when none or several do."""
    if " " in key:
        return None
    owners = {k for k in full_keys if " " in k and (k.split()[0] == key or k.split()[-1] == key)}
    return owners.pop() if len(owners) == 1 else None


def same_entity(a: str, b: str) -> bool:
    """Near-identical names: all words equal but one, which differs by a short suffix or a single edit."""
    wa, wb = a.split(), b.split()
    if a == b or len(wa) != len(wb):
        return a == b
    differing = [(x, y) for x, y in zip(wa, wb, strict=True) if x != y]
    if len(differing) != 1:
        return False
    x, y = sorted(differing[0], key=len)
    if y.startswith(x) and len(y) - len(x) <= MAX_SUFFIX and len(x) >= MIN_EDIT_LENGTH - 1:
        return True
    return len(x) >= MIN_EDIT_LENGTH and _one_edit(x, y)


def _one_edit(x: str, y: str) -> bool:
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        return sum(a != b for a, b in zip(x, y, strict=True)) == 1
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def merge_keys(counts: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], tuple[str, str]]:
    """(family, key) → the (family, key) it merges into: the most-mentioned of its group of near-identical names
    (then the longest, then the first alphabetically)."""
    by_family: dict[str, list[str]] = defaultdict(list)
    for family, key in counts:
        by_family[family].append(key)
    sets = DisjointSets(counts)
    for family, keys in by_family.items():
        by_shape: dict[tuple[int, str], list[str]] = defaultdict(list)
        for key in keys:  # only names with the same word count and first letter can merge: compare within those
            by_shape[(len(key.split()), key[:1])].append(key)
        for group in by_shape.values():
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if same_entity(a, b):
                        sets.union((family, a), (family, b))
    target: dict[tuple[str, str], tuple[str, str]] = {}
    for members in sets.groups():
        best = min(members, key=lambda k: (-counts[k], -len(k[1]), k[1]))
        target.update({k: best for k in members})
    return target
