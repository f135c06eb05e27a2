"""Reading a warehouse: one committed version of every table, pinned while it is read.

``DIR/<table>`` is a plain folder holding the current version of that table, and a commit replaces it whole, table by
table (storage.py), so a Parquet reader given that folder (pandas, Polars, DuckDB, Spark, anywhere the folder was
copied or uploaded) reads one version of that table. Two tables read that way can come from two versions when a
commit lands between the reads (entities whose article is missing), and a read that lists the folder just before a
commit replaces it can find a part gone. ``snapshot`` reads the version ``.newslake/CURRENT`` names, whose list of
parts per table is the commit point, and pins it::

    with storage.snapshot("data/warehouse") as snap:
        articles = pd.read_parquet(snap.table_path("articles"))  # or snap.read("articles"): a pyarrow Table
        entities = pd.read_parquet(snap.table_path("entities"))  # the same version, however many commits landed

What pins a version on a local file system: hard links of its parts in a folder of the snapshot's own
(``.newslake/pins/<id>``), made while the writer cannot swap tables (a shared flock on ``publish.lock``) and removed
when the block ends; a link costs no space and keeps its file when a commit removes the table's name for it. The
pin's ``lease`` file carries a shared flock while it is used, so the writer removes pins a killed reader left, and
no other. An object store has no links: there a snapshot reads the parts CURRENT lists, and a commit deletes a
replaced part at once, so a reader still at an old version gets FileNotFoundError.

Paths are never patterns: folders are listed, not globbed, so a warehouse may live at ``wh[1]`` or ``it's?``.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import uuid
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from tasks.schemas import TABLES
from tasks.warehouse import partitions
from tasks.warehouse.version_record import Manifest, decode_manifest

STATE_DIR = ".newslake"
DUCKDB_FILE = "newslake.duckdb"
CURRENT_FILE = "CURRENT"  # in STATE_DIR: the committed version, its parts and columns marks (version_record.py)
PUBLISHING_FILE = "PUBLISHING"  # in STATE_DIR: a version being published; it becomes CURRENT (publish.py)
PUBLISH_LOCK = "publish.lock"  # in STATE_DIR: the writer holds it while it swaps tables, a pinning reader shares it
PINS_DIR = "pins"  # in STATE_DIR: one folder per local snapshot, hard links of the parts it reads
LEASE_FILE = "lease"  # in a pin: its reader holds a shared flock on it
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
    """Where a version is written before it is published (commit.py), under the warehouse's path ``root``."""
    return f"{root}/{STATE_DIR}/versions/{version}"


def list_parts(out: str, folder: str) -> list[str]:
    """The Parquet parts in ``folder`` and its month folders (``partitions``), month by month in the order they
    were written. Listed, not globbed (a glob reads ``[``, ``?`` and ``*`` in the warehouse's path as a pattern);
    locally by ``os.walk``, as fsspec's find costs a stat per file, felt at a thousand months."""
    if is_local(out):
        return sorted(f"{top}/{f}" for top, _, files in os.walk(folder) for f in files if f.endswith(".parquet"))
    fs = filesystem(out)[0]
    fs.invalidate_cache(folder)
    return sorted(p for p in fs.find(folder) if p.endswith(".parquet"))  # none when the folder is missing


@functools.lru_cache(maxsize=65_536)
def part_rows(out: str, part: str) -> int:
    """A part's rows, from its footer, read once per process: a part is never written again under its name (each
    write makes a new one, ``parts.part_name``), and a run counts each table's rows before and after it."""
    return pq.read_metadata(part, filesystem=arrow_fs(out)).num_rows


def part_names(folder: str, parts: list[str]) -> tuple[str, ...]:
    """``parts`` (paths under ``folder``) as ``CURRENT`` lists them: relative to the table's folder."""
    return tuple(p[len(folder) + 1:] if p.startswith(f"{folder}/") else p.rsplit("/", 1)[-1] for p in parts)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One committed version of a warehouse (``version`` None: nothing committed yet): its parts, and the folder
    holding them as ``<table>/<part>`` (the warehouse itself; a pin's folder for a pinned local snapshot)."""

    out: str  # location(): an absolute local path or a URL
    version: str | None
    tables: Manifest = field(default_factory=dict, compare=False)
    where: str = field(default="", compare=False)  # a path on the warehouse's file system; "" = the warehouse
    columns: Mapping[str, str] = field(default_factory=dict, compare=False)  # table → columns_mark its parts hold

    @property
    def sequence(self) -> int:
        return int(self.version.split("-")[0]) if self.version else 0

    def _folder(self) -> str:
        return self.where or filesystem(self.out)[1]

    def table_path(self, name: str) -> str:
        """The folder of table ``name`` in this version (a local path, or a URL for an object store), for any
        Parquet reader; inside ``snapshot()`` it holds this version's parts until the block ends."""
        if self.version is None:
            raise FileNotFoundError(f"no table {name}: nothing has been committed to {self.out} yet")
        if not self.where:
            return f"{self.out}/{name}"
        return f"{self.where}/{name}" if is_local(self.out) else filesystem(self.out)[0].unstrip_protocol(
            f"{self.where}/{name}")

    def parts(self, name: str) -> list[str]:
        """The table's Parquet parts in this version; none if the table is newer than the version."""
        folder = self.table_folder(name)
        return [f"{folder}/{part}" for part in self.tables.get(name, ())]

    def parts_by_month(self, name: str) -> dict[str | None, list[str]]:
        return partitions.by_month(self.parts(name), self.tables.get(name, ()))

    def table_folder(self, name: str) -> str:
        """Where the table's parts are, on the warehouse's file system (``table_path`` is that for any reader)."""
        return f"{self._folder()}/{name}"

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """The table in this version, or an empty one with the declared schema."""
        schema = TABLES[name]
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        fs = arrow_fs(self.out)
        tables = [pq.read_table(p, schema=schema, columns=columns, filesystem=fs) for p in self.parts(name)]
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def num_rows(self, name: str) -> int:
        return sum(part_rows(self.out, p) for p in self.parts(name))

    def batches(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The table's rows batch by batch: memory holds a batch, not the table."""
        return scan(self.out, name, self.parts(name), columns)


def kept_rows(file: pq.ParquetFile, ids: pa.Array, among: bool = False) -> pa.Array | pa.ChunkedArray | None:
    """Which rows of a part belong to no article of ``ids`` (a sorted string array; with ``among``, to one of them),
    tested once per part (a test per batch would rebuild the set of ids each time); None when all of them do."""
    mask = pc.is_in(file.read(["article_id"])["article_id"], value_set=ids)
    mask = mask if among else pc.invert(mask)
    return None if pc.all(mask).as_py() is not False else mask


def wholly_kept(out: str, part: str, without: pa.Array) -> bool:
    """Whether no row of ``part`` belongs to an article of ``without`` (a sorted string array)."""
    with pq.ParquetFile(part, filesystem=arrow_fs(out)) as file:
        return kept_rows(file, without) is None


def scan(out: str, name: str, parts: list[str], columns: list[str] | None = None, *,
         only: Collection[str] | None = None, without: Collection[str] = ()) -> Iterator[pa.RecordBatch]:
    """Batches of the rows of Parquet ``parts`` of table ``name`` (chosen columns; the rows of the articles ``only``
    holds, if given, or all but those ``without`` holds), read a row group at a time."""
    names, among = columns or TABLES[name].names, only is not None
    test = pa.array(sorted(only if only is not None else without), pa.string()) if among or without else None
    read = names if test is None or "article_id" in names else [*names, "article_id"]
    fs = arrow_fs(out)
    for part in parts:
        with pq.ParquetFile(part, filesystem=fs) as file:
            # a part written before a column was declared (articles.source_fields) reads it as nulls
            missing = [c for c in names if c not in file.schema_arrow.names]
            mask = None if test is None else kept_rows(file, test, among)
            offset = 0
            for batch in file.iter_batches(SCAN_ROWS, columns=read, use_threads=False):
                if mask is not None:
                    batch, offset = batch.filter(mask.slice(offset, batch.num_rows)), offset + batch.num_rows
                for column in missing:
                    batch = batch.append_column(TABLES[name].field(column), pa.nulls(batch.num_rows,
                                                                                     TABLES[name].field(column).type))
                yield batch.select(names)
    pa.default_memory_pool().release_unused()  # Arrow's allocator would keep the pages it read into


def current(out: str | Path) -> Snapshot:
    """The last committed version of the warehouse at ``out``, not pinned: use ``snapshot`` to read it."""
    out = location(out)
    fs, root = filesystem(out)
    fs.invalidate_cache(f"{root}/{STATE_DIR}")
    try:
        data = fs.cat_file(f"{root}/{STATE_DIR}/{CURRENT_FILE}")
    except FileNotFoundError:
        return Snapshot(out, None)
    try:
        version, tables, columns = decode_manifest(data)
    except ValueError:  # newslake < 0.5 on an object store: CURRENT named the version, whose folder held the tables
        version = data.decode().strip()
        folder = version_path(root, version)
        tables = {name: part_names(f"{folder}/{name}", list_parts(out, f"{folder}/{name}")) for name in TABLES}
        return Snapshot(out, version, tables, folder)
    return Snapshot(out, version, tables, columns=columns)


@contextmanager
def publish_lock(state: Path, mode: int) -> Iterator[None]:
    """``flock`` ``mode`` on the state folder's publish lock, held until the block ends."""
    fd = os.open(state / PUBLISH_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)


@contextmanager
def snapshot(out: str | Path) -> Iterator[Snapshot]:
    """The current version of the warehouse at ``out``, pinned until the block ends (see the module's docstring):
    every table read through it comes from that one version, and none of its files goes away meanwhile. A local
    warehouse this process may not write to is read unpinned."""
    out = location(out)
    state = Path(out) / STATE_DIR
    if not is_local(out) or not os.access(state, os.W_OK):
        yield current(out)
        return
    pin, lease = state / PINS_DIR / uuid.uuid4().hex, -1
    try:
        with publish_lock(state, fcntl.LOCK_SH):  # the writer neither swaps tables nor removes pins meanwhile
            pin.mkdir(parents=True)
            lease = os.open(pin / LEASE_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(lease, fcntl.LOCK_SH)  # held while the pin is in use: the writer removes only unheld ones
            snap = current(out)
            for name, parts in snap.tables.items():
                (pin / name).mkdir()
                for part in parts:
                    (pin / name / part).parent.mkdir(exist_ok=True)  # a month's folder
                    _link(Path(out), name, part, pin / name / part)
        yield Snapshot(out, snap.version, snap.tables, str(pin), snap.columns)
    finally:
        if lease >= 0:
            os.close(lease)
        shutil.rmtree(pin, ignore_errors=True)


def _link(out: Path, name: str, part: str, target: Path) -> None:
    """Link a part of the current version from its table's folder; or, when a writer was killed while it swapped
    tables (the next one finishes its work, publish.py), from the version folder it swapped that table into."""
    try:
        os.link(out / name / part, target)
    except FileNotFoundError:
        for folder in sorted((out / STATE_DIR / "versions").iterdir()):
            if (folder / name / part).is_file():
                os.link(folder / name / part, target)
                return
        raise


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
    """The folder of Parquet parts of table ``name`` (None before the first commit): ``DIR/<table>``, not pinned:
    to read more than one table, or slowly, use ``snapshot``."""
    snap = current(out)
    return snap.table_path(name) if snap.version else None


def read_table(out: str | Path, name: str) -> pa.Table:
    """The current version of one table, read whole."""
    with snapshot(out) as snap:
        return snap.read(name)
