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
that resolved a path before a commit can finish; tables with more than ``MAX_PARTS`` parts are compacted. Names of
files and folders come from table names and generated ids only, never from the data.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tasks.schemas import TABLES

log = logging.getLogger(__name__)

STATE_DIR = ".newslake"
DUCKDB_FILE = "newslake.duckdb"
KEEP_VERSIONS = 3
MAX_PARTS = 8
_RECORD_SUFFIX = re.compile(r"#\d+$")


class WarehouseError(Exception):
    """A warehouse folder newslake cannot write to as it is."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One committed version of a warehouse (``version`` None: nothing committed yet)."""

    out: Path
    version: str | None

    @property
    def path(self) -> Path | None:
        return self.out / STATE_DIR / "versions" / self.version if self.version else None

    @property
    def sequence(self) -> int:
        return int(self.version.split("-")[0]) if self.version else 0

    def parts(self, name: str) -> list[Path]:
        return sorted((self.path / name).glob("*.parquet")) if self.path else []

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """The table in this version, or an empty one with the declared schema."""
        schema = TABLES[name]
        if columns:
            schema = pa.schema([schema.field(c) for c in columns])
        tables = [pq.read_table(p, schema=schema, columns=columns) for p in self.parts(name)]
        return pa.concat_tables(tables) if tables else schema.empty_table()

    def num_rows(self, name: str) -> int:
        return sum(pq.ParquetFile(p).metadata.num_rows for p in self.parts(name))


def current(out: Path) -> Snapshot:
    """The last committed version of the warehouse at ``out``."""
    link = out / STATE_DIR / "current"
    return Snapshot(out, link.readlink().name if link.is_symlink() else None)


def cache_dir(out: Path) -> Path:
    """Where a run keeps task results (NLP batches) it may reuse if it is killed before its commit."""
    return out / STATE_DIR / "cache"


def read_table(out: Path, name: str) -> pa.Table:
    return current(out).read(name)


@contextmanager
def writer_lock(out: Path) -> Iterator[None]:
    """Hold the warehouse's writer lock: a second run on the same folder waits until the first has finished.
    The lock is an ``flock``: the kernel releases it when its process dies, so a killed run never leaves it held."""
    state = out / STATE_DIR
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


def open_for_writing(out: Path) -> Snapshot:
    """The committed state a run starts from, after removing what killed runs left behind. Hold the lock."""
    for name in [*TABLES, DUCKDB_FILE]:
        entry = out / name
        if entry.exists() and not entry.is_symlink():
            raise WarehouseError(f"{entry} is not a link into {STATE_DIR}/: {out} holds files newslake did not "
                                 f"write, or a warehouse of newslake < 0.2; write to a new folder")
    base = current(out)
    versions = out / STATE_DIR / "versions"
    for folder in sorted(versions.glob("*")) if versions.exists() else []:
        if folder.name != base.version and int(folder.name.split("-")[0]) > base.sequence:
            log.warning("removing version %s, which a killed run left uncommitted", folder.name)
            shutil.rmtree(folder)
    for tmp in (out / STATE_DIR).glob(".current.*"):
        tmp.unlink()
    return base


def next_version(base: Snapshot) -> str:
    """A name for the version after ``base``: its sequence number (names sort in commit order) and a nonce."""
    return f"{base.sequence + 1:06d}-{uuid.uuid4().hex[:8]}"


class Commit:
    """A new version of every table, written next to the current one and made visible by ``publish``."""

    def __init__(self, base: Snapshot, version: str | None = None) -> None:
        self.base = base
        self.version = version or next_version(base)
        self.path = base.out / STATE_DIR / "versions" / self.version
        if self.path.exists():  # a retried commit: this name is new with every run, so the folder is ours
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)

    def write(self, name: str, table: pa.Table) -> None:
        """Add ``table``'s rows to table ``name`` as a new part (several calls add several parts)."""
        schema = TABLES[name]
        folder = self.path / name
        folder.mkdir(exist_ok=True)
        part = folder / f"part-{len(list(folder.iterdir())):05d}-{uuid.uuid4().hex[:8]}.parquet"
        pq.write_table(table.select(schema.names).cast(schema), part, compression="zstd")
        _fsync(part)
        log.debug("wrote %s/%s (%d rows)", name, part.name, table.num_rows)

    def keep(self, name: str, parts: Collection[Path] | None = None) -> None:
        """Carry the base version's parts of ``name`` (all, or those given) into this version, unchanged."""
        folder = self.path / name
        folder.mkdir(exist_ok=True)
        for part in self.base.parts(name) if parts is None else parts:
            try:
                os.link(part, folder / part.name)
            except OSError:  # a file system without hard links
                shutil.copy2(part, folder / part.name)

    def publish(self) -> Snapshot:
        """Make this version the current one, atomically; then drop versions beyond ``KEEP_VERSIONS``."""
        for name in TABLES:
            if not (self.path / name).exists():
                self.keep(name)
            if not self.parts(name):
                self.write(name, TABLES[name].empty_table())
            if len(self.parts(name)) > MAX_PARTS:
                self._compact(name)
        _publish_duckdb(self.path / DUCKDB_FILE, {name: self.path / name for name in TABLES})
        log.debug("wrote %s", DUCKDB_FILE)
        for folder in [*(self.path / name for name in TABLES), self.path, self.path.parent]:
            _fsync(folder)
        log.debug("synced version %s", self.version)
        state = self.base.out / STATE_DIR
        for name in [*TABLES, DUCKDB_FILE]:  # dangling until the first commit: a reader sees no table, not half
            link = self.base.out / name
            if not link.is_symlink():
                link.symlink_to(Path(STATE_DIR) / "current" / name)
                log.debug("linked %s", name)
        tmp = state / f".current.{uuid.uuid4().hex}"
        tmp.symlink_to(Path("versions") / self.version)
        tmp.replace(state / "current")  # the commit
        _fsync(state)
        log.info("committed version %s of %s", self.version, self.base.out)
        _drop_old_versions(state / "versions", self.version)
        shutil.rmtree(cache_dir(self.base.out), ignore_errors=True)  # the committed version holds that work now
        return Snapshot(self.base.out, self.version)

    def parts(self, name: str) -> list[Path]:
        return sorted((self.path / name).glob("*.parquet"))

    def _compact(self, name: str) -> None:
        parts = self.parts(name)
        merged = pa.concat_tables([pq.read_table(p, schema=TABLES[name]) for p in parts])
        for part in parts:
            part.unlink()
        self.write(name, merged)
        log.info("compacted %d parts of %s into one", len(parts), name)


def _drop_old_versions(versions: Path, keep_newest: str) -> None:
    older = sorted(p for p in versions.iterdir() if p.name < keep_newest)
    for folder in older[: max(len(older) - (KEEP_VERSIONS - 1), 0)]:
        shutil.rmtree(folder, ignore_errors=True)


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
    return table.filter(pc.invert(pc.is_in(origin, value_set=pa.array(sorted(files), pa.string()))))


def rows_with_ids(table: pa.Table, column: str, keep: Collection[str]) -> pa.Table:
    return table.filter(pc.is_in(table[column], value_set=pa.array(sorted(keep), pa.string())))

