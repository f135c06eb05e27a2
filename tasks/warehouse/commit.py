"""A commit: a new version of every table, written next to the current one as Parquet parts and made visible all
at once by ``Commit.publish`` (the layout and the guarantees are in ``storage``'s docstring)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem

from tasks import schemas
from tasks.schemas import TABLES
from tasks.warehouse import publish
from tasks.warehouse.duckdb_file import publish_duckdb
from tasks.warehouse.snapshot import (
    CURRENT_FILE,
    DUCKDB_FILE,
    STATE_DIR,
    Snapshot,
    arrow_fs,
    encode_manifest,
    filesystem,
    is_local,
    list_parts,
    remove,
    scan,
    version_path,
)
from tasks.warehouse.storage import cache_dir, next_version

log = logging.getLogger(__name__)

STAGED_DIR = ".staged"  # in a version being written: rows the aggregate stage reads back; removed before publish
MAX_PARTS = 8  # small parts of a table beyond this are compacted at commit
PART_BYTES = 64 * 2**20  # Arrow bytes a part holds before the writer starts the next: what one part costs to read
ROW_GROUP_BYTES = 8 * 2**20  # Arrow bytes a writer gathers before writing them as one row group
SMALL_PART_BYTES = 4 * 2**20  # on disk: a part below this is small, and compacted with others
_GLOB_CHARS = re.compile(r"[*?\[]")


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
                publish.fsync(Path(self._path))
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
        return PartWriter(self, f"{self.path}/{STAGED_DIR}/{name}", name, schemas.STAGED[name])

    def staged(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        return scan(self.base.out, name, self._staged_parts(name), columns or schemas.STAGED[name].names)

    def staged_urls(self, name: str) -> list[str]:
        """The parts of the rows set aside for table ``name`` (``stager``), as paths or URLs DuckDB can read."""
        return [self._duckdb_url(p) for p in self._staged_parts(name)]

    def _staged_parts(self, name: str) -> list[str]:
        return list_parts(self.base.out, f"{self.path}/{STAGED_DIR}/{name}")

    def _duckdb_url(self, part: str) -> str:
        return duckdb_path(part if self.local else self.fs.unstrip_protocol(part))

    def current_parts(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows written to table ``name`` of this version so far, batch by batch."""
        return scan(self.base.out, name, self.parts(name), columns)

    @property
    def sql_filesystem(self) -> AbstractFileSystem | None:
        """The file system DuckDB reads this version's ``urls`` through: none for a local folder."""
        return None if self.local else self.fs

    def urls(self, name: str) -> list[str]:
        """The parts of table ``name`` written to this version so far, as paths or URLs DuckDB can read."""
        return [self._duckdb_url(p) for p in self.parts(name)]

    def keep(self, name: str, parts: Collection[str] | None = None) -> None:
        """Carry the base version's parts of ``name`` (all, or those given) into this version, unchanged; a part
        written before a column was declared is rewritten with it (nulls), so that every part of a table has the
        declared schema: a Parquet reader takes a folder's columns from one of its files."""
        folder = f"{self.path}/{name}"
        self.fs.makedirs(folder, exist_ok=True)
        self.touched.add(name)
        fs = arrow_fs(self.base.out)
        older = []
        for part in self.base.parts(name) if parts is None else parts:
            if pq.read_schema(part, filesystem=fs).names == TABLES[name].names:
                self._carry(part, f"{folder}/{part.rsplit('/', 1)[-1]}")
            else:
                older.append(part)
        if older:
            with self.writer(name) as writer:
                writer.write_all(scan(self.base.out, name, older))
            log.info("rewrote %d parts of %s with the columns declared since", len(older), name)

    def _carry(self, part: str, target: str) -> None:
        """A hard link on a local file system that has them, else a copy (on the server, in an object store)."""
        if self.local:
            with contextlib.suppress(OSError):
                os.link(part, target)
                return
        self.fs.cp_file(part, target)  # one file: fsspec's copy would expand a pattern in the path

    def publish(self) -> Snapshot:
        """Make this version the current one: every table at once for a reader of ``CURRENT`` (``snapshot``),
        each table folder whole for a reader of ``DIR/<table>``."""
        remove(self.fs, f"{self.path}/{STAGED_DIR}")
        for name in TABLES:
            if name not in self.touched:
                self.keep(name)
            if not self.parts(name):
                self.fs.makedirs(f"{self.path}/{name}", exist_ok=True)
                pq.write_table(TABLES[name].empty_table(), f"{self.path}/{name}/{_part_name()}",
                               filesystem=arrow_fs(self.base.out))
            self._compact(name)
        tables = {name: tuple(p.rsplit("/", 1)[-1] for p in self.parts(name)) for name in TABLES}
        if self.local:
            self._publish_local(tables)
        else:
            self._publish_remote(tables)
        log.info("committed version %s of %s", self.version, self.base.out)
        shutil.rmtree(cache_dir(self.base.out), ignore_errors=True)  # the committed version holds that work now
        return Snapshot(self.base.out, self.version, tables)

    def _publish_local(self, tables: dict[str, tuple[str, ...]]) -> None:
        """The DuckDB file, fsync, then the tables swapped in (publish.py)."""
        path, out = Path(self.path), Path(self.base.out)
        publish_duckdb(path / DUCKDB_FILE, path, out)
        for folder in [*(path / name for name in TABLES), path, path.parent]:
            publish.fsync(folder)
        log.debug("synced version %s", self.version)
        publish.publish(out, self.version, tables)
        publish.remove_stale(out, self.version)

    def _publish_remote(self, tables: dict[str, tuple[str, ...]]) -> None:
        """Object store: the version's new parts copied into the table folders, ``CURRENT`` written (one PUT: the
        commit for ``snapshot``), then the parts it no longer lists deleted. A reader listing ``DIR/<table>``
        meanwhile can find both, so it is told to read through ``snapshot`` or ``CURRENT`` (storage.py)."""
        root = filesystem(self.base.out)[1]
        for name, parts in tables.items():
            have = {p.rsplit("/", 1)[-1] for p in list_parts(self.base.out, f"{root}/{name}")}
            for part in parts:
                if part not in have:
                    self.fs.cp_file(f"{self.path}/{name}/{part}", f"{root}/{name}/{part}")
        self.fs.pipe_file(f"{self.state}/{CURRENT_FILE}", encode_manifest(self.version, tables))
        for name, parts in tables.items():
            for stale in list_parts(self.base.out, f"{root}/{name}"):
                if stale.rsplit("/", 1)[-1] not in parts:
                    self.fs.rm_file(stale)
        remove(self.fs, self.path)

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


def duckdb_path(path: str) -> str:
    """``path`` as DuckDB reads it literally: it expands ``*``, ``?`` and ``[`` in every file name it is given,
    a list's too, so each becomes a class of that one character (``wh[1]`` → ``wh[[]1]``)."""
    return _GLOB_CHARS.sub(lambda m: f"[{m[0]}]", path)
