"""The article lookup a run holds for every stored article: a binary search over fixed-width ids."""

from __future__ import annotations

import pyarrow as pa

from tasks.warehouse.lookup import ArticleLookup


def test_ids_of_any_length_are_found_and_others_are_not() -> None:
    lookup = ArticleLookup(pa.chunked_array([["b2", "a"], ["ccc", "é"]]), ["2024-02", "2024-01", "2024-03", "undated"])
    asked = ["a", "ccc", "é", "b2", "b", "cccc", "", "a\u00e9"]
    assert lookup.get(asked).to_pylist() == ["2024-01", "2024-03", "undated", "2024-02", None, None, None, None]


def test_values_added_win_over_those_held_and_survive_a_new_hold() -> None:
    lookup = ArticleLookup()
    assert lookup.get(["a"]).to_pylist() == [None]
    lookup.add(["a"], ["2024-05"])
    lookup.hold(["a", "b"], ["2023-01", "2023-02"])
    assert lookup.get(pa.array(["a", "b", "c"])).to_pylist() == ["2024-05", "2023-02", None]
