"""A commit: a new version of every table, written next to the current one as Parquet parts and made visible all
at once by ``Commit.publish`` (the layout and the guarantees are in ``storage``'s docstring)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Collection, Iterator
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem

from tasks import schemas
from tasks.schemas import TABLES
from tasks.warehouse import partitions, publish
from tasks.warehouse.duckdb_file import publish_duckdb
from tasks.warehouse.lookup import ArticleLookup
from tasks.warehouse.parts import PartWriter, RowMonths, part_name
from tasks.warehouse.snapshot import (
    CURRENT_FILE,
    DUCKDB_FILE,
    STATE_DIR,
    Snapshot,
    arrow_fs,
    filesystem,
    is_local,
    list_parts,
    part_names,
    remove,
    scan,
    version_path,
)
from tasks.warehouse.storage import cache_dir, next_version
from tasks.warehouse.version_record import columns_mark, encode_manifest

log = logging.getLogger(__name__)

STAGED_DIR = ".staged"  # in a version being written: rows the aggregate stage reads back; removed before publish
MAX_PARTS = 8  # small parts of a table (of a month, when partitioned) beyond this are compacted at commit
SMALL_PART_BYTES = 4 * 2**20  # on disk: a part below this is small, and compacted with others
_GLOB_CHARS = re.compile(r"[*?\[]")


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
        # the month of every article whose rows this version may write (``partitions``): the base's, set by the merge,
        # and those the version writes
        self.article_months = ArticleLookup()
        remove(self.fs, self.path)  # a retried commit: this name is new with every run, so the folder is ours
        self.fs.makedirs(self.path, exist_ok=True)

    def write(self, name: str, table: pa.Table) -> None:
        """Add ``table``'s rows to table ``name`` as a new part (several calls add several parts)."""
        with self.writer(name) as writer:
            writer.write(table)

    def writer(self, name: str) -> PartWriter:
        """A writer adding parts to table ``name`` of this version."""
        self.touched.add(name)
        months: RowMonths | None = None
        if name == "articles":  # the rows of its sentences, mentions and quotes follow it into its month
            months = self._months_of_articles
        elif name in partitions.PARTITIONED:
            months = partial(partitions.row_months, name, article_months=self.article_months)
        return self._writer(f"{self.path}/{name}", name, None, months)

    def _months_of_articles(self, table: pa.Table) -> pa.Array | pa.ChunkedArray:
        months = partitions.months(table.column("published_at"))
        self.article_months.add(table.column("article_id"), months)
        return months

    def _writer(self, folder: str, name: str, schema: pa.Schema | None = None,
                months: RowMonths | None = None) -> PartWriter:
        return PartWriter(self.fs, arrow_fs(self.base.out), self.local, folder, name, schema, months)

    def stager(self, name: str) -> PartWriter:
        """A writer of rows set aside for the aggregate stage (read back by ``staged``), not part of the version:
        table ``name`` without the columns that stage assigns (``schemas.STAGED``)."""
        return self._writer(f"{self.path}/{STAGED_DIR}/{name}", name, schemas.STAGED[name])

    def staged(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        return scan(self.base.out, name, self._staged_parts(name), columns or schemas.STAGED[name].names)

    def staged_urls(self, name: str) -> list[str]:
        """The parts of the rows set aside for table ``name`` (``stager``), as paths or URLs DuckDB can read."""
        return [self._duckdb_url(p) for p in self._staged_parts(name)]

    def _staged_parts(self, name: str) -> list[str]:
        return list_parts(self.base.out, f"{self.path}/{STAGED_DIR}/{name}")

    def _duckdb_url(self, part: str) -> str:
        return duckdb_path(part if self.local else self.fs.unstrip_protocol(part))

    def current_parts(self, name: str, columns: list[str] | None = None,
                      parts: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """The rows written to table ``name`` of this version so far (or in ``parts`` of them), batch by batch."""
        return scan(self.base.out, name, self.parts(name) if parts is None else parts, columns)

    @property
    def sql_filesystem(self) -> AbstractFileSystem | None:
        """The file system DuckDB reads this version's ``urls`` through: none for a local folder."""
        return None if self.local else self.fs

    def urls(self, name: str, parts: list[str] | None = None) -> list[str]:
        """The parts of table ``name`` written to this version so far (or ``parts``, of this version or its base),
        as paths or URLs DuckDB can read."""
        return [self._duckdb_url(p) for p in (self.parts(name) if parts is None else parts)]

    def parts_by_month(self, name: str) -> dict[str | None, list[str]]:
        """The parts of table ``name`` written to this version so far, by month folder (None: at the top)."""
        parts = self.parts(name)
        return partitions.by_month(parts, part_names(f"{self.path}/{name}", parts))

    def keep(self, name: str, parts: Collection[str] | None = None) -> None:
        """Carry the base version's parts of ``name`` (all, or those given) into this version, unchanged; a part
        written before a column was declared is rewritten with it (nulls), so that every part of a table has the
        declared schema: a Parquet reader takes a folder's columns from one of its files."""
        folder = f"{self.path}/{name}"
        self.fs.makedirs(folder, exist_ok=True)
        self.touched.add(name)
        fs = arrow_fs(self.base.out)
        older = []
        made = {folder}
        parts = self.base.parts(name) if parts is None else list(parts)
        checked = self.base.columns.get(name) != columns_mark(name)  # else every part holds the declared columns
        for part, relative in zip(parts, part_names(self.base.table_folder(name), parts), strict=True):
            month = partitions.of_part(relative)
            if (not checked or pq.read_schema(part, filesystem=fs).names == TABLES[name].names) and (
                    month is not None or name not in partitions.PARTITIONED):
                if (into := f"{folder}/{relative}".rsplit("/", 1)[0]) not in made:
                    (os.makedirs if self.local else self.fs.makedirs)(into, exist_ok=True)  # fsspec's: 0.1 ms more
                    made.add(into)
                self._carry(part, f"{folder}/{relative}")
            else:  # written before a column was declared, or before the table was partitioned
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
            if not self.parts(name):  # an empty table is one empty part (in a month: a reader sees the column)
                folder = f"{self.path}/{name}"
                if name in partitions.PARTITIONED:
                    folder = f"{folder}/{partitions.folder(partitions.UNDATED)}"
                self.fs.makedirs(folder, exist_ok=True)
                pq.write_table(TABLES[name].empty_table(), f"{folder}/{part_name()}",
                               filesystem=arrow_fs(self.base.out))
            self._compact(name)
        tables = {name: part_names(f"{self.path}/{name}", self.parts(name)) for name in TABLES}
        columns = {name: columns_mark(name) for name in TABLES}  # every part written, or kept, holds them
        if self.local:
            self._publish_local(tables, columns)
        else:
            self._publish_remote(tables, columns)
        log.info("committed version %s of %s", self.version, self.base.out)
        shutil.rmtree(cache_dir(self.base.out), ignore_errors=True)  # the committed version holds that work now
        return Snapshot(self.base.out, self.version, tables, columns=columns)

    def _publish_local(self, tables: dict[str, tuple[str, ...]], columns: dict[str, str]) -> None:
        """The DuckDB file, fsync, then the tables swapped in (publish.py)."""
        path, out = Path(self.path), Path(self.base.out)
        publish_duckdb(path / DUCKDB_FILE, path, out)
        for folder in [*(path / name for name in TABLES), path, path.parent]:
            publish.fsync(folder)
        log.debug("synced version %s", self.version)
        publish.publish(out, self.version, tables, columns)
        publish.remove_stale(out, self.version)

    def _publish_remote(self, tables: dict[str, tuple[str, ...]], columns: dict[str, str]) -> None:
        """Object store: the version's new parts copied into the table folders, ``CURRENT`` written (one PUT: the
        commit for ``snapshot``), then the parts it no longer lists deleted. A reader listing ``DIR/<table>``
        meanwhile can find both, so it is told to read through ``snapshot`` or ``CURRENT`` (storage.py)."""
        root = filesystem(self.base.out)[1]
        for name, parts in tables.items():
            have = set(part_names(f"{root}/{name}", list_parts(self.base.out, f"{root}/{name}")))
            for part in parts:
                if part not in have:
                    self.fs.cp_file(f"{self.path}/{name}/{part}", f"{root}/{name}/{part}")
        self.fs.pipe_file(f"{self.state}/{CURRENT_FILE}", encode_manifest(self.version, tables, columns))
        for name, parts in tables.items():
            folder = f"{root}/{name}"
            for stale, relative in zip(found := list_parts(self.base.out, folder), part_names(folder, found),
                                       strict=True):
                if relative not in parts:
                    self.fs.rm_file(stale)
        remove(self.fs, self.path)

    def parts(self, name: str) -> list[str]:
        return list_parts(self.base.out, f"{self.path}/{name}")

    def _compact(self, name: str) -> None:
        """More than ``MAX_PARTS`` small parts: rewrite them as few large ones, streaming."""
        by_folder: dict[str, list[str]] = {}
        for path, size in self.fs.du(f"{self.path}/{name}", total=False).items():
            if path.endswith(".parquet") and size < SMALL_PART_BYTES:
                by_folder.setdefault(path.rsplit("/", 1)[0], []).append(path)
        for folder, small in sorted(by_folder.items()):
            if len(small) <= MAX_PARTS:
                continue
            small.sort()
            with self._writer(folder, name) as writer:  # one month's rows stay in its folder
                writer.write_all(scan(self.base.out, name, small))
            for part in small:
                remove(self.fs, part)
            log.info("compacted %d small parts of %s in %s", len(small), name, folder.rsplit("/", 1)[-1])


def duckdb_path(path: str) -> str:
    """``path`` as DuckDB reads it literally: it expands ``*``, ``?`` and ``[`` in every file name it is given,
    a list's too, so each becomes a class of that one character (``wh[1]`` → ``wh[[]1]``)."""
    return _GLOB_CHARS.sub(lambda m: f"[{m[0]}]", path)
