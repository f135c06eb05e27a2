"""A value for each article id (its month, or the input it came from), for every article of a warehouse: the ids
sorted once as fixed-width bytes in one NumPy array and searched a batch at a time (a binary search), the values in
one Arrow array. A Python dict would hold an object for each id and each value, ~150 MB at a million articles where
this holds their bytes (~30 MB). What a run adds is held in a dict beside them, and wins: a run holds what it adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Ids = pa.Array | pa.ChunkedArray | Sequence[str]


class ArticleLookup:
    """article_id -> a string: many held sorted (``hold``), a few added (``add``), looked up a batch at a time."""

    def __init__(self, ids: Ids = (), values: Ids = ()) -> None:
        self._added: dict[str, str] = {}
        self.hold(ids, values)

    def hold(self, ids: Ids, values: Ids) -> None:
        """Hold ``values`` for ``ids`` (many: every article of a warehouse) in place of those held before; the
        values added one by one (``add``) stay, and win."""
        ids, values = _array(ids), _array(values)
        if len(ids) != len(values):
            raise ValueError(f"{len(ids)} ids for {len(values)} values")
        order = pc.sort_indices(ids)
        binary = _binary(ids.take(order))
        self._width = max(1, int(np.max(pc.binary_length(binary).to_numpy(), initial=0)))
        self._ids = _fixed(binary, self._width)
        self._values = values.take(order)

    def clear(self) -> None:
        """Hold nothing (a million articles' lookup holds ~90 MB with their source_uris)."""
        self._added.clear()
        self.hold((), ())

    def add(self, ids: Ids, values: Ids) -> None:
        """Set the values of ``ids`` (those a version writes) over any held before."""
        self._added.update(zip(map(str, _array(ids).to_pylist()), map(str, _array(values).to_pylist()), strict=True))

    def get(self, ids: Ids) -> pa.Array:
        """The value of each of ``ids`` (null for an id not held)."""
        binary = _binary(_array(ids))
        fits = pc.binary_length(binary).to_numpy() <= self._width  # a longer id is not held
        keys = _fixed(_binary(pc.if_else(pa.array(fits), binary, pa.scalar(b"", pa.binary()))), self._width)
        values = pa.nulls(len(keys), pa.string())
        if len(self._ids):
            at = np.searchsorted(self._ids, keys).clip(0, len(self._ids) - 1)
            values = pc.if_else(pa.array((self._ids[at] == keys) & fits), self._values.take(at), values)
        if self._added:
            added = [None if i is None else self._added.get(i.decode()) for i in binary.to_pylist()]
            values = pc.coalesce(pa.array(added, pa.string()), values)
        return values


def _array(values: Ids) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    return values if isinstance(values, pa.Array) else pa.array(values, pa.string())


def _binary(strings: pa.Array) -> pa.BinaryArray:
    return cast(pa.BinaryArray, strings.cast(pa.binary()))


def _fixed(binary: pa.BinaryArray, width: int) -> np.ndarray:
    """The byte strings ``binary`` (none longer than ``width``) as a NumPy array of ``width`` bytes each, padded with
    zero bytes, which NumPy's comparisons ignore, so order and equality are those of the strings."""
    padding = pc.binary_repeat(  # type: ignore[call-overload]  # the stubs take no array of counts
        pa.scalar(b"\0", pa.binary()), pc.subtract(width, pc.binary_length(binary)))
    nothing = _binary(pa.repeat(pa.scalar(b"", pa.binary()), len(binary)))  # the separator
    joined = pc.binary_join_element_wise(binary, _binary(padding), nothing)
    fixed = joined.cast(pa.binary(width))
    data = fixed.buffers()[1]
    return np.frombuffer(memoryview(data) if data else b"", f"S{width}", len(fixed), fixed.offset * width)
