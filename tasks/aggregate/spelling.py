"""One name spelled two ways (the merge rule of ``entity_merge``, and the acronym rule's guard in ``identity``):
every word equal but one, which differs by a suffix of at most two letters or by one edit in a word of five or more
letters."""

from __future__ import annotations

MAX_SUFFIX = 2
MIN_EDIT_LENGTH = 5


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
    return len(wa) > 1 and len(x) >= MIN_EDIT_LENGTH and _one_edit(x, y)


def _one_edit(x: str, y: str) -> bool:
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        return sum(a != b for a, b in zip(x, y, strict=True)) == 1
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
