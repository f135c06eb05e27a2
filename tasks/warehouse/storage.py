"""Warehouse storage: every table versioned together, a run visible all at once or not at all.

Layout of a warehouse folder ``DIR``::

    DIR/<table>                 -> .newslake/current/<table>     what readers open (pandas, pyarrow, DuckDB)
    DIR/newslake.duckdb         -> .newslake/current/newslake.duckdb
    DIR/.newslake/current       -> versions/<version>             the commit point
    DIR/.newslake/versions/<version>/<table>/part-*.parquet
    DIR/.newslake/versions/<version>/lease                        readers of the version hold a shared flock on it
    DIR/.newslake/lock                                            held by the one run that writes
    DIR/raw/polls/*.warc.gz                                       what gather fetched (``tasks.gather.poll``): inputs

A commit writes a complete new version folder (parts of tables it did not change are hard links to the previous
version's), fsyncs it, then swaps ``current`` with one ``rename(2)``: a reader that resolves ``current`` once
(``snapshot``, or the DuckDB file, whose views name a version's files) sees the old version or the new one, never a
mix, and a run killed at any point leaves ``current`` at the last commit (a Parquet reader given ``DIR/<table>``
resolves it again at every file: what that can give is in snapshot.py). The next writer removes versions
that never became current. Versions beyond the last ``KEEP_VERSIONS`` are pruned, except one a reader holds
(``snapshot``, a DuckDB connection; the reading side is in snapshot.py); more than ``MAX_PARTS`` small parts
of a table are compacted. Names of files and folders come from table names and generated ids only, never
from the data, and no path is ever read as a pattern (the warehouse may live at ``wh[1]``).

Tables are written and read as streams (``PartWriter``, ``scan``): parts of about ``PART_BYTES`` of Arrow data, read
back a batch at a time, so no stage holds a whole table. Rows a later stage of the same run rewrites are set aside
in the version's ``.staged`` folder, removed before the version is published.

A warehouse may also live at any URL fsspec can write (``s3://bucket/prefix``, ``gs://…``; s3fs for S3, which
reads the usual AWS_* settings, AWS_ENDPOINT_URL included). An object store has no links and no rename, so there
the commit point is the object ``.newslake/CURRENT`` (one PUT, atomic) naming the current version; readers open
``snapshot(out)`` (or ``table_url(out, name)``, the current version's folder of that table). The writer lock
is then a lock on this machine: runs from several machines must be serialised by their deployment (concurrency
limit 1, as in prefect.yaml). The DuckDB file is written for local warehouses only.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc

from tasks.schemas import TABLES
from tasks.warehouse.snapshot import (  # noqa: F401 (read_table, snapshot, table_url: the reader API, also storage.X)
    DUCKDB_FILE,
    LEASE_FILE,
    STATE_DIR,
    Snapshot,
    current,
    filesystem,
    is_local,
    location,
    read_table,
    remove,
    scan,
    snapshot,
    table_url,
)

log = logging.getLogger(__name__)

RAW_AREA = "raw"  # what newslake fetched itself, kept as web archives: the one input inside a warehouse
_RECORD_SUFFIX = re.compile(r"#\d+$")


class WarehouseError(Exception):
    """A warehouse folder newslake cannot write to as it is."""


def cache_dir(out: str | Path) -> Path:
    """Where a run keeps task results (NLP batches) it may reuse if it is killed before its commit: in the
    warehouse when it is local, else in a local folder named after the warehouse's URL."""
    out = location(out)
    return Path(out) / STATE_DIR / "cache" if is_local(out) else _local_state(out) / "cache"


def _local_state(out: str) -> Path:
    return Path(tempfile.gettempdir()) / "newslake" / hashlib.sha256(out.encode()).hexdigest()[:16]


@contextmanager
def writer_lock(out: str | Path) -> Iterator[None]:
    """Hold the warehouse's writer lock: a second run on the same folder waits until the first has finished.
    The lock is an ``flock``: the kernel releases it when its process dies, so a killed run never leaves it held.
    For a warehouse at a URL it is a lock on this machine (see the module's docstring)."""
    out = location(out)
    state = Path(out) / STATE_DIR if is_local(out) else _local_state(out)
    state.mkdir(parents=True, exist_ok=True)
    fd = os.open(state / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another run is writing to %s; waiting for it to finish", out)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def open_for_writing(out: str | Path) -> Snapshot:
    """The committed state a run starts from, after removing what failed or killed runs left. Hold the lock."""
    out = location(out)
    if is_local(out):
        for name in [*TABLES, DUCKDB_FILE]:
            entry = Path(out) / name
            if entry.exists() and not entry.is_symlink():
                raise WarehouseError(f"{entry} is not a link into {STATE_DIR}/: {out} holds files newslake did "
                                     f"not write, or a warehouse of newslake < 0.2; write to a new folder")
        state = Path(out) / STATE_DIR
        for tmp in state.iterdir() if state.is_dir() else ():
            if tmp.name.startswith(".current."):
                tmp.unlink()
    base = current(out)
    fs, root = filesystem(out)
    for name, folder in versions(fs, f"{root}/{STATE_DIR}").items():
        if name != base.version and int(name.split("-")[0]) > base.sequence:
            log.warning("removing version %s, left uncommitted by a run that failed or was killed", name)
            remove(fs, folder)
    return base


def versions(fs: fsspec.AbstractFileSystem, state: str) -> dict[str, str]:
    """Name → path of every version folder of a warehouse, in commit order."""
    folder = f"{state}/versions"
    fs.invalidate_cache(folder)
    paths = sorted(p.rstrip("/") for p in fs.ls(folder, detail=False)) if fs.exists(folder) else []
    return {p.rsplit("/", 1)[-1]: p for p in paths}


def next_version(base: Snapshot) -> str:
    """A name for the version after ``base``: its sequence number (names sort in commit order) and a nonce."""
    return f"{base.sequence + 1:06d}-{uuid.uuid4().hex[:8]}"


def source_file(source_uri: str) -> str:
    """The input file an article's source_uri came from ("a.jsonl#3" → "a.jsonl"). An article always comes from a
    file of a known format, whose name cannot end like a record number; for a quarantine row, which may name any
    file ("x.jsonl#2"), use ``manifest.input_file``."""
    return _RECORD_SUFFIX.sub("", source_uri)


def is_in(values: pa.Array | pa.ChunkedArray, keys: Collection[str]) -> pa.Array:
    """A mask: which ``values`` are among the string ``keys``."""
    return pc.is_in(values, value_set=pa.array(sorted(keys), pa.string()))

