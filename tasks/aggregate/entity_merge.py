"""When two entity names are one entity across articles (short forms within an article are resolved by the NLP
stage: ``tasks.nlp.entity_rules.short_form_owner``).

Merge rule, with its guard: two names of the same type merge when every word but one is equal and that one differs
by a suffix of at most two letters or by one edit in a word of five or more letters (Lyubimov/Lyubimova,
Zelensky/Zelenskyy, Linsey/Lindsey Graham); names with a different number of words, or two differing words (Kim Jong
Un/Kim Ju Ae), never merge, nor do one-word names by an edit: with no other word to agree, one edit apart is as often
two surnames (Davis, Davids) as one misspelt. Dates, numbers and amounts merge only when their keys are equal: one
digit or word apart ("$42 million", "$42 billion"; "1980", "1980s") they are other values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

from tasks.aggregate.groups import DisjointSets
from tasks.aggregate.identity import core
from tasks.aggregate.spelling import MAX_SUFFIX, MIN_EDIT_LENGTH, same_entity
from tasks.names import VALUE_LABELS

Name = tuple[str, str]  # (family, name key)


def merge_keys(counts: Mapping[tuple[str, str], int],
               linked: Iterable[tuple[tuple[str, str], tuple[str, str]]] = ()) -> dict[tuple[str, str], Name]:
    """(family, key) → the (family, key) it merges into: of its group of near-identical names (joined by the
    ``linked`` pairs too), a name of several words (titles aside) over a single one (Hewlett-Packard over HP, Lena
    Okafor over Okafor or Dr. Okafor), then the most mentioned, the longest, the first alphabetically."""
    sets = DisjointSets(counts)
    for a, b in candidate_pairs(counts):
        if same_entity(a[1], b[1]):
            sets.union(a, b)
    for a, b in linked:
        sets.union(a, b)
    target: dict[tuple[str, str], tuple[str, str]] = {}
    for members in sets.groups():
        best = min(members, key=lambda k: (" " not in core(k[1])[0], -counts[k], -len(k[1]), k[1]))
        target.update({k: best for k in members})
    return target


def candidate_pairs(names: Iterable[tuple[str, str]]) -> Iterator[tuple[tuple[str, str], tuple[str, str]]]:
    """Pairs of (family, key) that may be ``same_entity``: same family, word count and first letter (the merge
    guard), every word equal but one, and that word's variants (itself, without its last one or two letters,
    and, from five letters, without any one letter) shared. Every pair ``same_entity`` accepts is among them:
    a short suffix leaves the shorter word as a variant of the longer, one edit leaves a shared one-letter
    deletion. Names are indexed a guard group at a time (memory: the largest group's index), not compared all
    against all (115,000 names of 12,800 articles)."""
    groups: dict[tuple[str, int, str], list[tuple[str, str]]] = defaultdict(list)
    for name in names:
        if name[0] in VALUE_LABELS:  # a value merges only with its own key
            continue
        groups[(name[0], len(name[1].split()), name[1][:1])].append(name)
    for group in groups.values():
        blocks: dict[tuple[int, tuple[str, ...], str], list[tuple[str, str]]] = defaultdict(list)
        for name in group:
            words = name[1].split()
            for i, word in enumerate(words):
                if len(word) >= MIN_EDIT_LENGTH - 1:  # shorter words never differ by a suffix or an edit
                    others = (*words[:i], *words[i + 1 :])
                    for variant in _variants(word):
                        blocks[(i, others, variant)].append(name)
        for block in blocks.values():  # a pair may share several variants: it is then yielded more than once
            for i, a in enumerate(block):
                yield from ((a, b) for b in block[i + 1 :])


def _variants(word: str) -> set[str]:
    cut = {word, word[:-1], word[:-MAX_SUFFIX]}
    if len(word) >= MIN_EDIT_LENGTH:
        cut.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    return cut
