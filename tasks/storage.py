"""Warehouse storage: every table versioned together, a run visible all at once or not at all.

Layout of a warehouse folder ``DIR``::

    DIR/<table>                 -> .newslake/current/<table>     what readers open (pandas, pyarrow, DuckDB)
    DIR/newslake.duckdb         -> .newslake/current/newslake.duckdb
    DIR/.newslake/current       -> versions/<version>             the commit point
    DIR/.newslake/versions/<version>/<table>/part-*.parquet
    DIR/.newslake/lock                                            held by the one run that writes

A commit writes a complete new version folder (parts of tables it did not change are hard links to the previous
version's), fsyncs it, then swaps ``current`` with one ``rename(2)``: a reader resolves ``DIR/articles`` to the
old version or the new one, never a mix, and a run killed at any point leaves ``current`` at the last commit. The
next writer removes versions that never became current. The last ``KEEP_VERSIONS`` versions are kept so a reader
that resolved a path before a commit can finish; more than ``MAX_PARTS`` small parts of a table are compacted. Names
of files and folders come from table names and generated ids only, never from the data.

Tables are written and read as streams (``PartWriter``, ``scan``): parts of about ``PART_BYTES`` of Arrow data, read
back a batch at a time, so no stage holds a whole table. Rows a later stage of the same run rewrites are set aside
in the version's ``.staged`` folder, removed before the version is published.

A warehouse may also live at any URL fsspec can write (``s3://bucket/prefix``, ``gs://…``; s3fs for S3, which
reads the usual AWS_* settings, AWS_ENDPOINT_URL included). An object store has no links and no rename, so there
the commit point is the object ``.newslake/CURRENT`` (one PUT, atomic) naming the current version; readers open
``table_url(out, name)``, the current version's folder of that table (``read_table`` does this). The writer lock
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
from dataclasses import dataclass
from pathlib import Path

import duckdb
import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tasks.schemas import TABLES

log = logging.getLogger(__name__)

STATE_DIR = ".newslake"
DUCKDB_FILE = "newslake.duckdb"
STAGED = ".staged"  # in a version being written: rows a later stage reads back; removed before publish
KEEP_VERSIONS = 3
MAX_PARTS = 8  # small parts of a table beyond this are compacted at commit
PART_BYTES = 64 * 2**20  # Arrow bytes a part holds before the writer starts the next: what one part costs to read
ROW_GROUP_BYTES = 8 * 2**20  # Arrow bytes a writer gathers before writing them as one row group
SMALL_PART_BYTES = 4 * 2**20  # on disk: a part below this is small, and compacted with others
SCAN_ROWS = 1024  # rows per batch when a table is read batch by batch (articles: ~6 MB)
_RECORD_SUFFIX = re.compile(r"#\d+$")


class WarehouseError(Exception):
    """A warehouse folder newslake cannot write to as it is."""


def location(out: str | Path) -> str:
    """A warehouse's canonical name: an absolute local path, or a URL (``s3://bucket/prefix``) as given."""
    text = str(out)
    if "://" in text and not text.startswith("file://"):
        return text.rstrip("/")
    return str(Path(text.removeprefix("file://")).expanduser().resolve())


def is_local(out: str) -> bool:
    return "://" not in out


def filesystem(out: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec file system holding the warehouse, and the warehouse's path on it."""
    fs, root = fsspec.core.url_to_fs(out)
    return fs, root.rstrip("/")


def _arrow_fs(out: str) -> fsspec.AbstractFileSystem | None:
    return None if is_local(out) else filesystem(out)[0]  # local files: pyarrow's own, faster I/O


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One committed version of a warehouse (``version`` None: nothing committed yet)."""

    out: str  # location(): an absolute local path or a URL
    version: str | None

    @property
    def path(self) -> str | None:
        return _version_path(filesystem(self.out)[1], self.version) if self.version else None

    @property
    def sequence(self) -> int:
        return int(self.version.split("-")[0]) if self.version else 0

    def parts(self, name: str) -> list[str]:
        return _parts(self.out, f"{self.path}/{name}") if self.path else []

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """The table in this version, or an empty one with the declared schema."""
        schema = TABLES[name]
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        fs = _arrow_fs(self.out)
        tables = [pq.read_table(p, schema=schema, columns=columns, filesystem=fs) for p in self.parts(name)]
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def num_rows(self, name: str) -> int:
        fs = _arrow_fs(self.out)
        return sum(pq.read_metadata(p, filesystem=fs).num_rows for p in self.parts(name))

    def batches(self, name: str, columns: list[str] | None = None,
                articles: Collection[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The table's rows (of ``articles`` only, if given) batch by batch: memory holds a batch, not the table."""
        return scan(self.out, name, self.parts(name), columns, articles)


def scan(out: str, name: str, parts: list[str], columns: list[str] | None = None,
         articles: Collection[str] | None = None) -> Iterator[pa.RecordBatch]:
    """Batches of the rows of Parquet ``parts`` of table ``name`` (chosen columns; rows whose article_id is among
    ``articles``, if given), read a row group at a time."""
    names = columns or TABLES[name].names
    read = names if articles is None or "article_id" in names else [*names, "article_id"]
    keep = None if articles is None else pa.array(sorted(articles), pa.string())
    fs = _arrow_fs(out)
    for part in parts:
        with pq.ParquetFile(part, filesystem=fs) as file:
            for batch in file.iter_batches(SCAN_ROWS, columns=read, use_threads=False):
                if keep is not None:
                    batch = batch.filter(pc.is_in(batch["article_id"], value_set=keep))
                yield batch.select(names)
    pa.default_memory_pool().release_unused()  # Arrow's allocator would keep the pages it read into


class PartWriter:
    """Appends tables to one table of a commit as Parquet parts of about ``PART_BYTES`` each (in memory) and row
    groups of about ``ROW_GROUP_BYTES``, written as they come: a writer holds one row group, not the table."""

    def __init__(self, commit: Commit, folder: str, name: str) -> None:
        self.commit, self.folder, self.name = commit, folder, name
        self.schema = TABLES[name]
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
                                            filesystem=_arrow_fs(self.commit.base.out))
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


def _version_path(root: str, version: str) -> str:
    return f"{root}/{STATE_DIR}/versions/{version}"


def _parts(out: str, folder: str) -> list[str]:
    fs = filesystem(out)[0]
    fs.invalidate_cache(folder)
    return sorted(fs.glob(f"{folder}/*.parquet"))


def current(out: str | Path) -> Snapshot:
    """The last committed version of the warehouse at ``out``."""
    out = location(out)
    if is_local(out):
        link = Path(out) / STATE_DIR / "current"
        return Snapshot(out, link.readlink().name if link.is_symlink() else None)
    fs, root = filesystem(out)
    fs.invalidate_cache(f"{root}/{STATE_DIR}")
    try:
        return Snapshot(out, fs.cat_file(f"{root}/{STATE_DIR}/CURRENT").decode().strip())
    except FileNotFoundError:
        return Snapshot(out, None)


def table_url(out: str | Path, name: str) -> str | None:
    """The folder of Parquet parts of table ``name`` in the current version (None before the first commit)."""
    snapshot = current(out)
    return f"{_version_path(snapshot.out, snapshot.version)}/{name}" if snapshot.version else None


def cache_dir(out: str | Path) -> Path:
    """Where a run keeps task results (NLP batches) it may reuse if it is killed before its commit: in the
    warehouse when it is local, else in a local folder named after the warehouse's URL."""
    out = location(out)
    return Path(out) / STATE_DIR / "cache" if is_local(out) else _local_state(out) / "cache"


def _local_state(out: str) -> Path:
    return Path(tempfile.gettempdir()) / "newslake" / hashlib.sha256(out.encode()).hexdigest()[:16]


def read_table(out: str | Path, name: str) -> pa.Table:
    return current(out).read(name)


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
    """The committed state a run starts from, after removing what killed runs left behind. Hold the lock."""
    out = location(out)
    if is_local(out):
        for name in [*TABLES, DUCKDB_FILE]:
            entry = Path(out) / name
            if entry.exists() and not entry.is_symlink():
                raise WarehouseError(f"{entry} is not a link into {STATE_DIR}/: {out} holds files newslake did "
                                     f"not write, or a warehouse of newslake < 0.2; write to a new folder")
        for tmp in (Path(out) / STATE_DIR).glob(".current.*"):
            tmp.unlink()
    base = current(out)
    fs, root = filesystem(out)
    for name, folder in _versions(fs, f"{root}/{STATE_DIR}").items():
        if name != base.version and int(name.split("-")[0]) > base.sequence:
            log.warning("removing version %s, which a killed run left uncommitted", name)
            fs.rm(folder, recursive=True)
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
        self.path = _version_path(root, self.version)
        self.touched: set[str] = set()  # tables written or kept: publish carries the others over
        if self.fs.exists(self.path):  # a retried commit: this name is new with every run, so the folder is ours
            self.fs.rm(self.path, recursive=True)
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
        """A writer of rows set aside for a later stage (read back by ``staged``), not part of the version."""
        return PartWriter(self, f"{self.path}/{STAGED}/{name}", name)

    def staged(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        return scan(self.base.out, name, _parts(self.base.out, f"{self.path}/{STAGED}/{name}"), columns)

    def current_parts(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows written to table ``name`` of this version so far, batch by batch."""
        return scan(self.base.out, name, self.parts(name), columns)

    def urls(self, name: str) -> list[str]:
        """The parts of table ``name`` written to this version so far, as paths or URLs DuckDB can read."""
        return [p if self.local else self.fs.unstrip_protocol(p) for p in self.parts(name)]

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
        self.fs.copy(part, target)

    def publish(self) -> Snapshot:
        """Make this version the current one, atomically; then drop versions beyond ``KEEP_VERSIONS``."""
        if self.fs.exists(f"{self.path}/{STAGED}"):
            self.fs.rm(f"{self.path}/{STAGED}", recursive=True)
        for name in TABLES:
            if name not in self.touched:
                self.keep(name)
            if not self.parts(name):
                self.fs.makedirs(f"{self.path}/{name}", exist_ok=True)
                pq.write_table(TABLES[name].empty_table(), f"{self.path}/{name}/{_part_name()}",
                               filesystem=_arrow_fs(self.base.out))
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
        _publish_duckdb(path / DUCKDB_FILE, {name: path / name for name in TABLES})
        log.debug("wrote %s", DUCKDB_FILE)
        for folder in [*(path / name for name in TABLES), path, path.parent]:
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
        return _parts(self.base.out, f"{self.path}/{name}")

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
            self.fs.rm(part)
        log.info("compacted %d small parts of %s", len(small), name)

    def _drop_old_versions(self) -> None:
        older = [folder for name, folder in _versions(self.fs, self.state).items() if name < self.version]
        for folder in older[: max(len(older) - (KEEP_VERSIONS - 1), 0)]:
            try:
                self.fs.rm(folder, recursive=True)
            except FileNotFoundError:  # removed meanwhile
                continue


def _publish_duckdb(target: Path, tables: dict[str, Path]) -> None:
    """A DuckDB file with one view per table over its Parquet parts (absolute paths), for the CLI and BI tools."""
    con = duckdb.connect(str(target))
    try:
        for name, folder in tables.items():
            pattern = str(folder.resolve() / "*.parquet").replace("'", "''")
            con.execute(f"create or replace view {name} as select * from read_parquet('{pattern}')")
    finally:
        con.close()
    _fsync(target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def source_file(source_uri: str) -> str:
    """The input file a source_uri came from ("a.jsonl#3" → "a.jsonl")."""
    return _RECORD_SUFFIX.sub("", source_uri)


def rows_not_from(table: pa.Table, files: Collection[str]) -> pa.Table:
    """Rows of a table with a ``source_uri`` column whose input file is not in ``files``."""
    if table.num_rows == 0 or not files:
        return table
    origin = pa.array([source_file(str(u)) for u in table["source_uri"].to_pylist()], pa.string())
    return table.filter(pc.invert(is_in(origin, files)))


def rows_with_ids(table: pa.Table, column: str, keep: Collection[str]) -> pa.Table:
    return table.filter(is_in(table[column], keep))


def is_in(values: pa.Array | pa.ChunkedArray, keys: Collection[str]) -> pa.Array:
    """A mask: which ``values`` are among the string ``keys``."""
    return pc.is_in(values, value_set=pa.array(sorted(keys), pa.string()))

