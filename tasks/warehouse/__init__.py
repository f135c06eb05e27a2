"""Warehouse: where a run starts, how its rows are merged into the committed state, and the commit that makes
them visible. ``run`` plans, collects and merges a run; ``manifest`` records which input gave which rows;
``storage`` owns the versioned folders and the lock, ``commit`` writes a version and publishes it; ``snapshot`` is
the reading side; ``invariants`` checks a committed warehouse."""

from tasks.warehouse.run import (
    Merged,
    RunOutput,
    RunStamp,
    RunStart,
    articles_table,
    commit_task,
    kept_articles,
    merge,
    merge_task,
    start_task,
    transient_io_error,
)

__all__ = [
    "Merged",
    "RunOutput",
    "RunStamp",
    "RunStart",
    "articles_table",
    "commit_task",
    "kept_articles",
    "merge",
    "merge_task",
    "start_task",
    "transient_io_error",
]
