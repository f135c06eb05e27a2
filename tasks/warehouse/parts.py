"""Writing a table of a version as Parquet parts, streaming: parts of about ``PART_BYTES`` of Arrow data, row
groups of about ``ROW_GROUP_BYTES``; a partitioned table's rows go to their month's folder (``partitions``)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.schemas import TABLES
from tasks.warehouse import partitions, publish

log = logging.getLogger(__name__)

PART_BYTES = 64 * 2**20  # Arrow bytes a part holds before the writer starts the next: what one part costs to read
ROW_GROUP_BYTES = 8 * 2**20  # Arrow bytes a writer gathers before writing them as one row group
BUFFERED_BYTES = 4 * ROW_GROUP_BYTES  # across a partitioned table's months: beyond it, every month's rows go out
# parts open at once: an open part holds about 1 MB (its columns' page buffers and compressors), and a run may write
# hundreds of months one after another; past this, the part written to least recently is finished (a later row of
# its month starts another part, which the commit compacts with it)
MAX_OPEN = 32

RowMonths = Callable[[pa.Table], pa.Array | pa.ChunkedArray]


def part_name() -> str:
    """A new part's file name; names sort in the order parts were written, so rows keep their order."""
    return f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"


class _Part:
    """The open part of one folder and the rows gathered for its next row group."""

    def __init__(self) -> None:
        self.writer: pq.ParquetWriter | None = None
        self.path = ""
        self.buffer: list[pa.Table] = []
        self.buffered = self.bytes = 0


class PartWriter:
    """Appends tables to one table of a version as Parquet parts, written as they come: a writer holds a row group
    per month it is writing, not the table. ``row_months`` (a partitioned table) gives each row's month."""

    def __init__(self, fs: fsspec.AbstractFileSystem, arrow_fs: fsspec.AbstractFileSystem | None, local: bool,
                 folder: str, name: str, schema: pa.Schema | None = None,
                 row_months: RowMonths | None = None) -> None:
        self.fs, self.arrow_fs, self.local = fs, arrow_fs, local
        self.folder, self.name = folder, name
        self.schema = TABLES[name] if schema is None else schema
        self.row_months = row_months
        self._parts: dict[str, _Part] = {}  # sub-folder ("" or month=…) → its open part, the latest written last
        self.rows = 0

    def write(self, table: pa.Table | pa.RecordBatch) -> None:
        if table.num_rows == 0:
            return
        table = pa.table(table)
        if self.row_months is None:
            self._add("", table)
        else:
            for month, rows in partitions.split(table, self.row_months(table)):
                self._add(partitions.folder(month), rows)
        if sum(p.buffered for p in self._parts.values()) >= BUFFERED_BYTES:  # many months, each short of a group
            for sub in list(self._parts):
                self._flush(sub)

    def write_all(self, tables: Iterable[pa.Table | pa.RecordBatch]) -> PartWriter:
        for table in tables:
            self.write(table)
        return self

    def _add(self, sub: str, table: pa.Table) -> None:
        part = self._parts[sub] = self._parts.pop(sub) if sub in self._parts else _Part()
        rows = max(1, table.num_rows * ROW_GROUP_BYTES // max(table.nbytes, 1))  # a large table: in row groups
        for start in range(0, table.num_rows, rows):
            chunk = table.slice(start, rows).select(self.schema.names).cast(self.schema)
            part.buffer.append(chunk)
            part.buffered += chunk.nbytes
            self.rows += chunk.num_rows
            if part.buffered >= ROW_GROUP_BYTES:
                self._flush(sub)

    def _flush(self, sub: str) -> None:
        part = self._parts[sub]
        if not part.buffer:
            return
        if part.writer is None:
            opened = [other for other in self._parts.values() if other.writer is not None]
            for other in opened[:max(0, len(opened) + 1 - MAX_OPEN)]:
                self._finish(other)
            folder = f"{self.folder}/{sub}" if sub else self.folder
            self.fs.makedirs(folder, exist_ok=True)
            part.path = f"{folder}/{part_name()}"
            part.writer = pq.ParquetWriter(part.path, self.schema, compression="zstd", filesystem=self.arrow_fs)
        part.writer.write_table(pa.concat_tables(part.buffer))
        part.bytes += part.buffered
        part.buffer, part.buffered = [], 0
        if part.bytes >= PART_BYTES:
            self._finish(part)

    def _finish(self, part: _Part) -> None:
        if part.writer is not None:
            part.writer.close()
            if self.local:
                publish.fsync(Path(part.path))
            log.debug("wrote %s (%d rows of %s so far)", part.path, self.rows, self.name)
        part.writer, part.bytes = None, 0

    def close(self) -> None:
        for sub, part in self._parts.items():
            self._flush(sub)
            self._finish(part)

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
