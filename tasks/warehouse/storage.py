"""Warehouse storage: every table versioned together, a run visible all at once or not at all.

Layout of a warehouse folder ``DIR`` (plain files and folders: it can be moved, copied, zipped or uploaded as is)::

    DIR/<table>/part-*.parquet          the current version of each table: what pandas, Polars, DuckDB, Spark open
    DIR/<table>/month=YYYY-MM/part-*    … of the tables cut by publication month (``partitions``)
    DIR/newslake.duckdb                 views over those folders, for the DuckDB CLI and BI tools (commit.py)
    DIR/views.sql                       the user's own views: every commit runs it into newslake.duckdb
    DIR/.newslake/CURRENT               the commit point: the current version's name and the parts of each table
    DIR/.newslake/versions/<version>/   a version while it is written and published (publish.py)
    DIR/.newslake/pins/<id>/            a reader's snapshot of one version: hard links of its parts (snapshot.py)
    DIR/.newslake/lock                  held by the one run that writes
    DIR/raw/polls/*.warc.gz             what gather fetched (``tasks.gather.poll``): inputs

A commit writes a complete new version folder (parts of tables it did not change are hard links to the current
ones), fsyncs it, then publishes it: each table folder swapped in whole, then ``CURRENT`` replaced by one
``rename(2)`` (publish.py). A reader of ``DIR/<table>`` finds one version of that table; a reader that asks for
all tables of one version (``snapshot``) reads the parts ``CURRENT`` lists, pinned. A run killed before the
publication leaves the last commit in place; one killed during it is finished by the next writer. More than
``MAX_PARTS`` small parts of a table are compacted. Names of files and folders come from table names and
generated ids only, never from the data, and no path is ever read as a pattern (the warehouse may live at ``wh[1]``).

Tables are written and read as streams (``PartWriter``, ``scan``): parts of about ``PART_BYTES`` of Arrow data, read
back a batch at a time, so no stage holds a whole table. Rows a later stage of the same run rewrites are set aside
in the version's ``.staged`` folder, removed before the version is published.

A warehouse may also live at any URL fsspec can write (``s3://bucket/prefix``, ``gs://…``; s3fs for S3, which
reads the usual AWS_* settings, AWS_ENDPOINT_URL included). The layout is the same; an object store has no rename,
so a commit copies the new parts into the table folders, writes ``CURRENT`` (one PUT, atomic) and deletes the
replaced parts: a reader listing a table folder during a commit can find both, one reading through ``snapshot``
(or the part names in ``CURRENT``) cannot. The writer lock is then a lock on this machine: runs from several
machines must be serialised by their deployment (concurrency limit 1, as in prefect.yaml). The DuckDB file is
written for local warehouses only.
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
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from tasks.schemas import TABLES
from tasks.warehouse import publish
from tasks.warehouse.snapshot import (  # noqa: F401 (read_table, snapshot, table_url: the reader API, also storage.X)
    CURRENT_FILE,
    DUCKDB_FILE,
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

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

USER_VIEWS_FILE = "views.sql"  # in the warehouse: the user's DuckDB views, run into newslake.duckdb at every commit
RAW_AREA = "raw"  # what newslake fetched itself, kept as web archives: the one input inside a warehouse
_RECORD_SUFFIX = re.compile(r"#\d+$")


class WarehouseError(Exception):
    """A warehouse folder newslake cannot write to as it is."""


def open_duckdb(out: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a local warehouse's DuckDB file, its views resolved in the warehouse folder."""
    import duckdb  # here: the command line reads the manifest through this module before a run, and needs no SQL

    out = location(out)
    return duckdb.connect(str(Path(out) / DUCKDB_FILE), read_only=True, config={"file_search_path": out})


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
    """The committed state a run starts from, after finishing a publication a killed run left half done and
    removing what failed or killed runs left. Hold the lock."""
    out = location(out)
    if is_local(out):
        folder = Path(out)
        publish.migrate_links(folder, list(TABLES))
        publish.complete(folder)
        if not (folder / STATE_DIR / CURRENT_FILE).exists():
            for name in [*TABLES, DUCKDB_FILE]:
                if (folder / name).exists():
                    raise WarehouseError(f"{folder / name} is in the way: {out} holds files newslake did not "
                                         "write, or a warehouse of newslake < 0.2; write to a new folder")
        publish.remove_stale(folder)
        return current(out)
    base = current(out)
    fs, root = filesystem(out)
    written = f"{root}/{STATE_DIR}/versions"
    fs.invalidate_cache(written)
    for version in fs.ls(written, detail=False) if fs.exists(written) else ():
        if version.rstrip("/") != base.where:  # a run's that failed or was killed before it published
            remove(fs, version)
    return base


def next_version(base: Snapshot) -> str:
    """A name for the version after ``base``: its sequence number (names sort in commit order) and a nonce."""
    return f"{base.sequence + 1:06d}-{uuid.uuid4().hex[:8]}"


def source_file(source_uri: str) -> str:
    """The input file an article's source_uri came from ("a.jsonl#3" → "a.jsonl"). An article always comes from a
    file of a known format, whose name cannot end like a record number; for a quarantine row, which may name any
    file ("x.jsonl#2"), use ``manifest.input_file``."""
    return _RECORD_SUFFIX.sub("", source_uri)


def source_files(source_uris: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``source_file`` of each of ``source_uris``, in Arrow (a million of them would be a million Python strings)."""
    return pc.replace_substring_regex(source_uris, _RECORD_SUFFIX.pattern, "")


def is_in(values: pa.Array | pa.ChunkedArray, keys: Collection[str]) -> pa.Array:
    """A mask: which ``values`` are among the string ``keys``."""
    return pc.is_in(values, value_set=pa.array(sorted(keys), pa.string()))

