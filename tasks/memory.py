"""Process memory: freed heap pages handed back to the system between the steps of a run.

glibc's malloc keeps the pages a step freed for reuse (in one arena per thread) and Arrow's allocator keeps its
own, so a long run's footprint would creep upward batch after batch, and a step would stack on the pages the one
before it freed. Python's cyclic garbage collector, for its part, would walk every object of the process (modules,
the model, Prefect's state: hundreds of thousands of objects) each time it collects the young garbage of a run.

Arrow allocates from the C library's malloc in a run (``ARROW_POOL``), not from its default mimalloc, whose pages
stayed with the process after each step of the aggregate, so its peak grew with the warehouse (the README's
figures). Arrow picks its allocator once, when pyarrow is imported, from the ``ARROW_DEFAULT_MEMORY_POOL``
environment variable, so the entry points (``newslake``, the deployment, the benchmarks, the tests) set it first.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

ARROW_POOL = "system"  # the value of ARROW_DEFAULT_MEMORY_POOL the entry points set


def give_back_memory() -> None:
    """Collect cyclic garbage, then return the pages freed so far to the system (a fraction of a second).

    The collection matters: an NLP result unpickled from a worker ends in reference cycles, which Python's
    collector reached only now and then, so finished results stayed alive by the dozen and the process's footprint
    rose with the run."""
    gc.collect()
    return_freed_pages()


def return_freed_pages() -> None:
    """Return the pages Arrow and the C library hold freed to the system (milliseconds): after a step that made
    no Python objects to collect, such as a DuckDB query, whose connection frees its memory when closed."""
    pa.default_memory_pool().release_unused()
    if libc := _glibc():
        libc.malloc_trim(0)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # musl and macOS have none


@contextmanager
def steady_heap() -> Iterator[None]:
    """Leave the objects alive when a run starts out of the garbage collector's passes until it ends (``gc.freeze``),
    so collecting what the run itself made costs milliseconds, not a walk over the whole process."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def arrow_pool() -> str:
    """The allocator Arrow uses in this process (``system``, ``mimalloc`` or ``jemalloc``)."""
    return str(pa.default_memory_pool().backend_name)
