"""Process memory: freed heap pages handed back to the system between the steps of a run.

glibc's malloc keeps the pages a step freed for reuse (in one arena per thread) and Arrow's allocator keeps its
own, so a long run's footprint would creep upward batch after batch, and a step would stack on the pages the one
before it freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import pyarrow as pa


def give_back_memory() -> None:
    """Return the pages freed so far to the system (a few milliseconds)."""
    pa.default_memory_pool().release_unused()
    if libc := _glibc():
        libc.malloc_trim(0)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # musl and macOS have none
