"""``newslake export DIR DEST``: the current version of a warehouse as a plain, self-contained copy.

The copy holds one version (the warehouse's own folder can be copied as is too, but mid-commit it may hold two, and
its ``raw`` area of fetched pages can be large): each table's parts, the DuckDB file, the user's ``views.sql`` and
``CURRENT``, so the copy is itself a warehouse newslake can go on writing to. ``DEST`` is a new local folder (to zip)
or a URL fsspec can write (``s3://bucket/prefix``, to share without uploading a folder by hand); the DuckDB file
is written for a local copy only, as for a warehouse.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fsspec import AbstractFileSystem

from tasks.schemas import TABLES
from tasks.warehouse.duckdb_file import publish_duckdb
from tasks.warehouse.snapshot import (
    CURRENT_FILE,
    DUCKDB_FILE,
    STATE_DIR,
    Snapshot,
    filesystem,
    is_local,
    location,
    snapshot,
)
from tasks.warehouse.storage import USER_VIEWS_FILE, WarehouseError
from tasks.warehouse.version_record import encode_manifest

COPY_BYTES = 8 * 2**20


def export(out: str | Path, dest: str | Path) -> Snapshot:
    """Copy the current version of the warehouse at ``out`` to ``dest``, which must not hold anything yet."""
    out, dest = location(out), location(dest)
    fs, root = filesystem(dest)
    if fs.exists(root) and (not fs.isdir(root) or fs.ls(root, detail=False)):
        raise WarehouseError(f"{dest} already exists and is not an empty folder: export to a new one")
    source = filesystem(out)[0]
    with snapshot(out) as snap:
        if snap.version is None:
            raise WarehouseError(f"nothing has been committed to {out} yet: there is nothing to export")
        for name in TABLES:
            for part, relative in zip(snap.parts(name), snap.tables.get(name, ()), strict=True):
                fs.makedirs(f"{root}/{name}/{relative}".rsplit("/", 1)[0], exist_ok=True)
                _copy(source, part, fs, f"{root}/{name}/{relative}")
        views = f"{filesystem(out)[1]}/{USER_VIEWS_FILE}"
        if source.isfile(views):
            _copy(source, views, fs, f"{root}/{USER_VIEWS_FILE}")
        if is_local(dest):
            publish_duckdb(Path(root) / DUCKDB_FILE, Path(root), Path(root))
        fs.makedirs(f"{root}/{STATE_DIR}", exist_ok=True)
        fs.pipe_file(f"{root}/{STATE_DIR}/{CURRENT_FILE}", encode_manifest(snap.version, snap.tables))
        return Snapshot(dest, snap.version, snap.tables)


def _copy(source: AbstractFileSystem, path: str, target: AbstractFileSystem, to: str) -> None:
    """One file, streamed, between any two file systems (local, object store); a path is never a pattern."""
    with source.open(path, "rb") as reader, target.open(to, "wb") as writer:
        shutil.copyfileobj(reader, writer, COPY_BYTES)
