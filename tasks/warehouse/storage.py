"""Warehouse storage: every table versioned together, a run visible all at once or not at all.

Layout of a warehouse folder ``DIR``::

    DIR/<table>                 -> .newslake/current/<table>     what readers open (pandas, pyarrow, DuckDB)
    DIR/newslake.duckdb         -> .newslake/current/newslake.duckdb
    DIR/.newslake/current       -> versions/<version>             the commit point
    DIR/.newslake/versions/<version>/<table>/part-*.parquet
    DIR/.newslake/versions/<version>/lease                        readers of the version hold a shared flock on it
    DIR/.newslake/lock                                            held by the one run that writes

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

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tasks import schemas
from tasks.schemas import TABLES
from tasks.warehouse.snapshot import (  # noqa: F401 (read_table, snapshot, table_url: the reader API, also storage.X)
    DUCKDB_FILE,
    LEASE_FILE,
    STATE_DIR,
    Snapshot,
    arrow_fs,
    current,
    filesystem,
    is_local,
    list_parts,
    location,
    read_table,
    remove,
    remove_version,
    scan,
    snapshot,
    table_url,
    version_path,
)

log = logging.getLogger(__name__)

STAGED = ".staged"  # in a version being written: rows a later stage reads back; removed before publish
KEEP_VERSIONS = 3
MAX_PARTS = 8  # small parts of a table beyond this are compacted at commit
PART_BYTES = 64 * 2**20  # Arrow bytes a part holds before the writer starts the next: what one part costs to read
ROW_GROUP_BYTES = 8 * 2**20  # Arrow bytes a writer gathers before writing them as one row group
SMALL_PART_BYTES = 4 * 2**20  # on disk: a part below this is small, and compacted with others
_RECORD_SUFFIX = re.compile(r"#\d+$")
_GLOB_CHARS = re.compile(r"[*?\[]")


class WarehouseError(Exception):
    """A warehouse folder newslake cannot write to as it is."""


class PartWriter:
    """Appends tables to one table of a commit as Parquet parts of about ``PART_BYTES`` each (in memory) and row
    groups of about ``ROW_GROUP_BYTES``, written as they come: a writer holds one row group, not the table."""

    def __init__(self, commit: Commit, folder: str, name: str, schema: pa.Schema | None = None) -> None:
        self.commit, self.folder, self.name = commit, folder, name
        self.schema = TABLES[name] if schema is None else schema
        self._writer: pq.ParquetWriter | None = None
        self._path = ""
        self._buffer: list[pa.Table] = []
        self._buffered = self._bytes = self.rows = 0

    def write(self, table: pa.Table | pa.RecordBatch) -> None:
        if table.num_rows == 0:
            return
        rows = max(1, table.num_rows * ROW_GROUP_BYTES // max(table.nbytes, 1))  # a large table: in row groups
        for start in range(0, table.num_rows, rows):
            chunk = pa.table(table.slice(start, rows)).select(self.schema.names).cast(self.schema)
            self._buffer.append(chunk)
            self._buffered += chunk.nbytes
            self.rows += chunk.num_rows
            if self._buffered >= ROW_GROUP_BYTES:
                self._flush()

    def write_all(self, tables: Iterable[pa.Table | pa.RecordBatch]) -> PartWriter:
        for table in tables:
            self.write(table)
        return self

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self.commit.fs.makedirs(self.folder, exist_ok=True)
            self._path = f"{self.folder}/{_part_name()}"
            self._writer = pq.ParquetWriter(self._path, self.schema, compression="zstd",
                                            filesystem=arrow_fs(self.commit.base.out))
        self._writer.write_table(pa.concat_tables(self._buffer))
        self._bytes += self._buffered
        self._buffer, self._buffered = [], 0
        if self._bytes >= PART_BYTES:
            self._finish_part()

    def _finish_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            if self.commit.local:
                _fsync(Path(self._path))
            log.debug("wrote %s/%s (%d rows so far)", self.name, self._path.rsplit("/", 1)[-1], self.rows)
        self._writer, self._bytes = None, 0

    def close(self) -> None:
        self._flush()
        self._finish_part()

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _part_name() -> str:
    """A new part's file name; names sort in the order parts were written, so rows keep their order."""
    return f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"


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
    for name, folder in _versions(fs, f"{root}/{STATE_DIR}").items():
        if name != base.version and int(name.split("-")[0]) > base.sequence:
            log.warning("removing version %s, left uncommitted by a run that failed or was killed", name)
            remove(fs, folder)
    return base


def _versions(fs: fsspec.AbstractFileSystem, state: str) -> dict[str, str]:
    """Name → path of every version folder of a warehouse, in commit order."""
    folder = f"{state}/versions"
    fs.invalidate_cache(folder)
    paths = sorted(p.rstrip("/") for p in fs.ls(folder, detail=False)) if fs.exists(folder) else []
    return {p.rsplit("/", 1)[-1]: p for p in paths}


def next_version(base: Snapshot) -> str:
    """A name for the version after ``base``: its sequence number (names sort in commit order) and a nonce."""
    return f"{base.sequence + 1:06d}-{uuid.uuid4().hex[:8]}"


class Commit:
    """A new version of every table, written next to the current one and made visible by ``publish``."""

    def __init__(self, base: Snapshot, version: str | None = None) -> None:
        self.base = base
        self.version = version or next_version(base)
        self.fs, root = filesystem(base.out)
        self.local = is_local(base.out)
        self.state = f"{root}/{STATE_DIR}"
        self.path = version_path(root, self.version)
        self.touched: set[str] = set()  # tables written or kept: publish carries the others over
        remove(self.fs, self.path)  # a retried commit: this name is new with every run, so the folder is ours
        self.fs.makedirs(self.path, exist_ok=True)

    def write(self, name: str, table: pa.Table) -> None:
        """Add ``table``'s rows to table ``name`` as a new part (several calls add several parts)."""
        with self.writer(name) as writer:
            writer.write(table)

    def writer(self, name: str) -> PartWriter:
        """A writer adding parts to table ``name`` of this version."""
        self.touched.add(name)
        return PartWriter(self, f"{self.path}/{name}", name)

    def stager(self, name: str) -> PartWriter:
        """A writer of rows set aside for the aggregate stage (read back by ``staged``), not part of the version:
        table ``name`` without the columns that stage assigns (``schemas.STAGED``)."""
        return PartWriter(self, f"{self.path}/{STAGED}/{name}", name, schemas.STAGED[name])

    def staged(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        parts = list_parts(self.base.out, f"{self.path}/{STAGED}/{name}")
        return scan(self.base.out, name, parts, columns or schemas.STAGED[name].names)

    def current_parts(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows written to table ``name`` of this version so far, batch by batch."""
        return scan(self.base.out, name, self.parts(name), columns)

    def urls(self, name: str) -> list[str]:
        """The parts of table ``name`` written to this version so far, as paths or URLs DuckDB can read."""
        return [duckdb_path(p if self.local else self.fs.unstrip_protocol(p)) for p in self.parts(name)]

    def keep(self, name: str, parts: Collection[str] | None = None) -> None:
        """Carry the base version's parts of ``name`` (all, or those given) into this version, unchanged."""
        folder = f"{self.path}/{name}"
        self.fs.makedirs(folder, exist_ok=True)
        self.touched.add(name)
        for part in self.base.parts(name) if parts is None else parts:
            self._carry(part, f"{folder}/{part.rsplit('/', 1)[-1]}")

    def _carry(self, part: str, target: str) -> None:
        """A hard link on a local file system that has them, else a copy (on the server, in an object store)."""
        if self.local:
            with contextlib.suppress(OSError):
                os.link(part, target)
                return
        self.fs.cp_file(part, target)  # one file: fsspec's copy would expand a pattern in the path

    def publish(self) -> Snapshot:
        """Make this version the current one, atomically; then drop versions beyond ``KEEP_VERSIONS``."""
        remove(self.fs, f"{self.path}/{STAGED}")
        for name in TABLES:
            if name not in self.touched:
                self.keep(name)
            if not self.parts(name):
                self.fs.makedirs(f"{self.path}/{name}", exist_ok=True)
                pq.write_table(TABLES[name].empty_table(), f"{self.path}/{name}/{_part_name()}",
                               filesystem=arrow_fs(self.base.out))
            self._compact(name)
        if self.local:
            self._swap_links()
        else:
            self.fs.pipe_file(f"{self.state}/CURRENT", self.version.encode())  # the commit: one PUT
        log.info("committed version %s of %s", self.version, self.base.out)
        self._drop_old_versions()
        shutil.rmtree(cache_dir(self.base.out), ignore_errors=True)  # the committed version holds that work now
        return Snapshot(self.base.out, self.version)

    def _swap_links(self) -> None:
        """Local commit: the DuckDB file, fsync, reader links, then ``current`` swapped by one rename."""
        path = Path(self.path)
        _publish_duckdb(path / DUCKDB_FILE, {name: self.parts(name) for name in TABLES})
        log.debug("wrote %s", DUCKDB_FILE)
        (path / LEASE_FILE).touch()  # readers of this version hold a shared flock on it (snapshot.py)
        for folder in [*(path / name for name in TABLES), path / LEASE_FILE, path, path.parent]:
            _fsync(folder)
        log.debug("synced version %s", self.version)
        out = Path(self.base.out)
        for name in [*TABLES, DUCKDB_FILE]:  # dangling until the first commit: a reader sees no table, not half
            link = out / name
            if not link.is_symlink():
                link.symlink_to(Path(STATE_DIR) / "current" / name)
                log.debug("linked %s", name)
        state = out / STATE_DIR
        tmp = state / f".current.{uuid.uuid4().hex}"
        tmp.symlink_to(Path("versions") / self.version)
        tmp.replace(state / "current")  # the commit
        _fsync(state)

    def parts(self, name: str) -> list[str]:
        return list_parts(self.base.out, f"{self.path}/{name}")

    def _compact(self, name: str) -> None:
        """More than ``MAX_PARTS`` small parts: rewrite them as few large ones, streaming."""
        small = [p for p, size in self.fs.du(f"{self.path}/{name}", total=False).items()
                 if p.endswith(".parquet") and size < SMALL_PART_BYTES]
        if len(small) <= MAX_PARTS:
            return
        small.sort()
        with self.writer(name) as writer:
            writer.write_all(scan(self.base.out, name, small))
        for part in small:
            remove(self.fs, part)
        log.info("compacted %d small parts of %s", len(small), name)

    def _drop_old_versions(self) -> None:
        """Versions beyond the last ``KEEP_VERSIONS``, except those a reader holds: pruned at a later commit."""
        older = [folder for name, folder in _versions(self.fs, self.state).items() if name < self.version]
        for folder in older[: max(len(older) - (KEEP_VERSIONS - 1), 0)]:
            if not remove_version(self.base.out, folder):
                log.info("kept version %s: a reader has it open", folder.rsplit("/", 1)[-1])


def duckdb_path(path: str) -> str:
    """``path`` as DuckDB reads it literally: it expands ``*``, ``?`` and ``[`` in every file name it is given,
    a list's too, so each becomes a class of that one character (``wh[1]`` → ``wh[[]1]``)."""
    return _GLOB_CHARS.sub(lambda m: f"[{m[0]}]", path)


def _publish_duckdb(target: Path, tables: dict[str, list[str]]) -> None:
    """A DuckDB file with one view per table over its Parquet parts (absolute paths, listed: a view reads the
    files it was given, not a pattern), for the CLI and BI tools. Built in a temporary folder and moved in:
    DuckDB puts its write-ahead log at a path cut at the first ``?`` of the database's path."""
    with tempfile.TemporaryDirectory(prefix="newslake-duckdb-") as scratch:
        built = Path(scratch) / DUCKDB_FILE
        con = duckdb.connect(str(built))
        try:
            for name, parts in tables.items():
                files = ", ".join("'" + duckdb_path(str(Path(p).resolve())).replace("'", "''") + "'" for p in parts)
                con.execute(f"create or replace view {name} as select * from read_parquet([{files}])")
        finally:
            con.close()
        shutil.move(built, target)
    _fsync(target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def source_file(source_uri: str) -> str:
    """The input file an article's source_uri came from ("a.jsonl#3" → "a.jsonl"). An article always comes from a
    file of a known format, whose name cannot end like a record number; for a quarantine row, which may name any
    file ("x.jsonl#2"), use ``manifest.input_file``."""
    return _RECORD_SUFFIX.sub("", source_uri)


def is_in(values: pa.Array | pa.ChunkedArray, keys: Collection[str]) -> pa.Array:
    """A mask: which ``values`` are among the string ``keys``."""
    return pc.is_in(values, value_set=pa.array(sorted(keys), pa.string()))

