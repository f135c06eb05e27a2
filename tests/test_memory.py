"""Process memory between the steps of a run: the garbage collector skips what was alive before the run, and
still collects the cycles the run makes."""

from __future__ import annotations

import gc
import weakref

from tasks.memory import give_back_memory, steady_heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_steady_heap_freezes_what_exists_and_still_collects_new_cycles() -> None:
    before = Node()
    with steady_heap():
        assert gc.get_freeze_count() > 1000  # modules and the like, and `before`
        made = Node()
        gone = weakref.ref(made)
        del made
        give_back_memory()
        assert gone() is None
    assert gc.get_freeze_count() == 0  # the caller's process is left as it was
    kept = weakref.ref(before)
    del before
    gc.collect()
    assert kept() is None  # unfrozen again: collectable
