"""Entity ids that stay put across runs, so a saved filter or link keeps working.

A new entity's id is made from its name (``ids.entity_id``). An entity that already had an id keeps it: when a later
run adds articles, its name, canonical spelling or member names may change, but the id its names held before stays
(the id most of its earlier mentions held). When a run merges entities that had ids of their own, the merged
entity keeps one and the others become aliases (``entity_aliases``: alias_id → entity_id); aliases from earlier
runs follow their entity through later merges. An id is never given to two entities: when an earlier entity splits,
the part holding most of its earlier mentions keeps the id.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping

import pyarrow as pa

from tasks.schemas import ENTITY_ALIASES

Name = tuple[str, str]  # (family, name key)


def assign(groups: Mapping[Name, list[Name]], fresh: Callable[[Name], str],
           prior: Mapping[Name, Counter[str]]) -> tuple[dict[Name, str], dict[str, str]]:
    """An id for each group (keyed by its representative name) and the earlier ids that now are aliases."""
    held = {rep: _summed(members, prior) for rep, members in groups.items()}
    claims: dict[str, list[tuple[int, Name]]] = defaultdict(list)
    for rep, counts in held.items():
        for old, n in counts.items():
            claims[old].append((n, rep))
    owner = {old: max(reps, key=lambda c: (c[0], c[1]))[1] for old, reps in claims.items()}  # most earlier mentions
    chosen: dict[Name, str] = {}
    for rep in sorted(groups):
        mine = sorted((-n, old) for old, n in held[rep].items() if owner[old] == rep)
        if mine:
            chosen[rep] = mine[0][1]
    taken = set(chosen.values()) | set(owner)
    for rep in sorted(groups):
        if rep not in chosen:
            candidate, n = fresh(rep), 1
            while candidate in taken:  # an earlier id made from this name now belongs to another entity
                n += 1
                candidate = fresh((rep[0], f"{rep[1]}#{n}"))
            chosen[rep] = candidate
            taken.add(candidate)
    aliases = {old: chosen[rep] for old, rep in owner.items() if chosen[rep] != old}
    return chosen, aliases


def _summed(members: list[Name], prior: Mapping[Name, Counter[str]]) -> Mapping[str, int]:
    """The earlier mentions per id of a group's names: a one-name group's own (most groups: not copied)."""
    if len(members) == 1:
        return prior.get(members[0], {})
    total: Counter[str] = Counter()
    for member in members:
        total.update(prior.get(member, {}))
    return total


def carried_aliases(earlier: pa.Table, new: Mapping[str, str], current: set[str]) -> pa.Table:
    """This version's alias table: the new aliases, and the earlier ones pointed at where their entity went."""
    mapping = dict(new)
    for alias, target in zip(earlier["alias_id"].to_pylist(), earlier["entity_id"].to_pylist(), strict=True):
        while target in mapping and target not in current:
            target = mapping[target]
        if target in current and alias not in current:
            mapping.setdefault(str(alias), str(target))
    rows = sorted((a, t) for a, t in mapping.items() if t in current)
    return pa.table({"alias_id": [a for a, _ in rows], "entity_id": [t for _, t in rows]}, schema=ENTITY_ALIASES)
