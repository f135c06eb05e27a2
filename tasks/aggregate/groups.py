"""Disjoint sets (union-find): grouping items by pairwise links, for duplicate copies and merged entity names."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class DisjointSets(Generic[K]):
    def __init__(self, items: Iterable[K]) -> None:
        self._parent: dict[K, K] = {item: item for item in items}

    def find(self, item: K) -> K:
        root = item
        while self._parent[root] != root:
            self._parent[root] = self._parent[self._parent[root]]
            root = self._parent[root]
        return root

    def union(self, a: K, b: K) -> None:
        self._parent[self.find(a)] = self.find(b)

    def groups(self) -> list[list[K]]:
        """The sets, each in the order its items were given."""
        by_root: dict[K, list[K]] = {}
        for item in self._parent:
            by_root.setdefault(self.find(item), []).append(item)
        return list(by_root.values())
