"""Reading a warehouse: one committed version of every table, pinned while it is read.

``DIR/<table>`` is a link through ``DIR/.newslake/current``, which a commit swaps, and a Parquet reader given that
folder lists it, then stats and opens each listed part by its path, resolving the links again every time. So two
tables read that way can come from two versions (entities whose article is missing), and a read of one table during
a commit that replaced some of that table's parts can come short: pyarrow (and pandas, Polars through it) silently
skips a listed part it can no longer stat, returning part of the table or an empty frame without columns, and
raises FileNotFoundError for one it can no longer open. It never returns rows of two versions of one table, since
a part's name always means the same bytes. ``snapshot`` resolves the version once and pins it::

    with storage.snapshot("data/warehouse") as snap:
        articles = pd.read_parquet(snap.table_path("articles"))  # or snap.read("articles"): a pyarrow Table
        entities = pd.read_parquet(snap.table_path("entities"))  # the same version, however many commits landed

What pins a version (its lease): on a local file system, a shared ``flock`` on the version's ``lease`` file, held
until the block ends. The writer prunes an old version only after taking that lock exclusively without waiting,
so it keeps a version a reader holds and prunes it at a later commit. A DuckDB connection to ``DIR/newslake.duckdb``
pins its version too: DuckDB holds a POSIX lock on the database file it opened, which the pruner tests the same way.
An object store has no locks: there a snapshot reads the version ``.newslake/CURRENT`` named when it began, and the
writer removes that version once ``commit.KEEP_VERSIONS`` newer ones are committed, even if a reader is still at it.

Paths are never patterns: folders are listed, not globbed, so a warehouse may live at ``wh[1]`` or ``it's?``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from tasks.schemas import TABLES

STATE_DIR = ".newslake"
DUCKDB_FILE = "newslake.duckdb"
LEASE_FILE = "lease"  # in a local version's folder: readers hold a shared flock on it
SCAN_ROWS = 1024  # rows per batch when a table is read batch by batch (articles: ~6 MB)


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


def arrow_fs(out: str) -> fsspec.AbstractFileSystem | None:
    return None if is_local(out) else filesystem(out)[0]  # local files: pyarrow's own, faster I/O


def version_path(root: str, version: str) -> str:
    return f"{root}/{STATE_DIR}/versions/{version}"


def list_parts(out: str, folder: str) -> list[str]:
    """The Parquet parts in ``folder``, in the order they were written. Listed, not globbed: fsspec's glob would
    read ``[``, ``?`` and ``*`` in the warehouse's own path as a pattern."""
    fs = filesystem(out)[0]
    fs.invalidate_cache(folder)
    try:
        return sorted(p for p in fs.ls(folder, detail=False) if p.endswith(".parquet"))
    except FileNotFoundError:
        return []


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One committed version of a warehouse (``version`` None: nothing committed yet)."""

    out: str  # location(): an absolute local path or a URL
    version: str | None

    @property
    def path(self) -> str | None:
        return version_path(filesystem(self.out)[1], self.version) if self.version else None

    @property
    def sequence(self) -> int:
        return int(self.version.split("-")[0]) if self.version else 0

    def table_path(self, name: str) -> str:
        """The folder of table ``name`` in this version (a local path, or a URL for an object store), for any
        Parquet reader: its files never change, and inside ``snapshot()`` they stay until the block ends."""
        if self.version is None:
            raise FileNotFoundError(f"no table {name}: nothing has been committed to {self.out} yet")
        return f"{version_path(self.out, self.version)}/{name}"

    def parts(self, name: str) -> list[str]:
        """The table's Parquet parts in this version; none if the table is newer than the version."""
        if not self.path:
            return []
        parts = list_parts(self.out, f"{self.path}/{name}")
        if not parts and not filesystem(self.out)[0].exists(self.path):
            raise FileNotFoundError(f"version {self.version} of {self.out} was removed after newer commits: read "
                                    "through storage.snapshot(), which keeps its version while it reads")
        return parts

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """The table in this version, or an empty one with the declared schema."""
        schema = TABLES[name]
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        fs = arrow_fs(self.out)
        tables = [pq.read_table(p, schema=schema, columns=columns, filesystem=fs) for p in self.parts(name)]
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def num_rows(self, name: str) -> int:
        fs = arrow_fs(self.out)
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
    fs = arrow_fs(out)
    for part in parts:
        with pq.ParquetFile(part, filesystem=fs) as file:
            # a part written before a column was declared (articles.source_fields) reads it as nulls
            missing = [c for c in names if c not in file.schema_arrow.names]
            for batch in file.iter_batches(SCAN_ROWS, columns=read, use_threads=False):
                if keep is not None:
                    batch = batch.filter(pc.is_in(batch["article_id"], value_set=keep))
                for column in missing:
                    batch = batch.append_column(TABLES[name].field(column), pa.nulls(batch.num_rows,
                                                                                     TABLES[name].field(column).type))
                yield batch.select(names)
    pa.default_memory_pool().release_unused()  # Arrow's allocator would keep the pages it read into


def current(out: str | Path) -> Snapshot:
    """The last committed version of the warehouse at ``out``, not pinned: use ``snapshot`` to read it."""
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


@contextmanager
def snapshot(out: str | Path) -> Iterator[Snapshot]:
    """The current version of the warehouse at ``out``, pinned until the block ends (see the module's docstring):
    every table read through it comes from that one version, and none of its files goes away meanwhile."""
    out = location(out)
    lease = None
    while True:
        snap = current(out)
        if snap.version is None or not is_local(out):
            break
        lease = _lease(Path(out) / STATE_DIR / "versions" / snap.version / LEASE_FILE)
        if lease is not None or current(out) == snap:
            break  # pinned; or still current but written before versions had leases
        # else it was pruned between reading `current` and taking its lease: commits landed, take the new one
    try:
        yield snap
    finally:
        if lease is not None:
            os.close(lease)  # releases the flock


def _lease(path: Path) -> int | None:
    """A descriptor holding a shared flock on a version's lease file; None if the version is gone (or has none)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a pruner holds it, that is while it removes the version
    try:
        if os.path.samestat(path.stat(), os.fstat(fd)):
            return fd
    except FileNotFoundError:  # a pruner took it first and moved the version away
        pass
    os.close(fd)
    return None


def remove_version(out: str, folder: str) -> bool:
    """Remove an old version unless a reader holds it (a snapshot's lease, an open DuckDB connection); False if
    one does: a later commit tries again."""
    fs = filesystem(out)[0]
    if not is_local(out):
        remove(fs, folder)
        return True
    path = Path(folder)
    trash = path.parents[1] / "trash"
    with ExitStack() as held:
        for name, lock in ((LEASE_FILE, fcntl.flock), (DUCKDB_FILE, fcntl.lockf)):  # DuckDB takes POSIX locks
            try:
                fd = os.open(path / name, os.O_RDWR)
            except FileNotFoundError:  # a version from before leases, or removed meanwhile
                continue
            held.callback(os.close, fd)
            try:
                lock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno in (errno.EACCES, errno.EAGAIN):
                    return False
                raise
        trash.mkdir(exist_ok=True)
        with suppress(FileNotFoundError):  # moved out whole: a path into it then finds all of it or nothing
            path.rename(trash / path.name)
    remove(fs, str(trash))  # with what an interrupted prune left there
    return True


def remove(fs: fsspec.AbstractFileSystem, path: str) -> None:
    """Remove a file, or a folder and all it holds; nothing if it is gone. Every path is taken literally: fsspec's
    ``rm`` expands ``*``, ``?`` and ``[`` in a path on an object store, so files go one by one there."""
    if isinstance(fs, LocalFileSystem):
        with suppress(FileNotFoundError):
            if Path(path).is_dir():
                shutil.rmtree(path)
            else:
                Path(path).unlink()
        return
    for file in fs.find(path):
        fs.rm_file(file)


def table_url(out: str | Path, name: str) -> str | None:
    """The folder of Parquet parts of table ``name`` in the current version (None before the first commit); not
    pinned: to read more than one table, or slowly, use ``snapshot``."""
    snap = current(out)
    return snap.table_path(name) if snap.version else None


def read_table(out: str | Path, name: str) -> pa.Table:
    """The current version of one table, read whole."""
    with snapshot(out) as snap:
        return snap.read(name)
