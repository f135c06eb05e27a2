"""Process memory between the steps of a run: the garbage collector skips what was alive before the run, and
still collects the cycles the run makes; Arrow allocates with malloc where newslake starts the process."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

from tasks.memory import ARROW_POOL, arrow_pool, give_back_memory, steady_heap


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


def test_the_tests_run_with_the_allocator_the_entry_points_choose() -> None:
    assert arrow_pool() == ARROW_POOL


def test_the_command_line_can_still_choose_arrows_allocator_when_main_starts() -> None:
    """pyarrow fixes its allocator when imported: importing the CLI module must not import it."""
    probe = "import sys; from flows import cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyarrow'))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
