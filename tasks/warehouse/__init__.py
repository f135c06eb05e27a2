"""Warehouse: where a run starts, how its rows are merged into the committed state, and the commit that makes
them visible. ``run`` plans, collects and merges a run; ``manifest`` records which input gave which rows;
``storage`` owns the versioned folders and the lock, ``commit`` writes a version and publishes it; ``snapshot`` is
the reading side; ``invariants`` checks a committed warehouse.

The names below come from ``run`` on first use: the command line reads the manifest to find a run with nothing new
before Prefect starts (2.5 s to import), which importing this package must not undo."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasks.warehouse.run import (
        Merged,
        RunOutput,
        RunStamp,
        RunStart,
        articles_table,
        commit_task,
        merge,
        merge_task,
        start_task,
        stored_articles,
        transient_io_error,
    )

__all__ = [
    "Merged",
    "RunOutput",
    "RunStamp",
    "RunStart",
    "articles_table",
    "commit_task",
    "merge",
    "merge_task",
    "start_task",
    "stored_articles",
    "transient_io_error",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.run"), name)
