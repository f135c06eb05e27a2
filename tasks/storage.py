"""Warehouse storage: one Parquet file per table under ``DIR/<table>/``, replaced atomically.

A table is written to a hidden temporary file in its folder (readers ignore names starting with "." or "_")
and moved into place with ``os.replace``, so a reader sees the old table or the new one, never half of one.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Collection
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tasks.schemas import TABLES

DATA_FILE = "data.parquet"
DUCKDB_FILE = "newslake.duckdb"
_RECORD_SUFFIX = re.compile(r"#\d+$")


def table_path(out: Path, name: str) -> Path:
    return out / name / DATA_FILE


def read_table(out: Path, name: str) -> pa.Table:
    """The committed table, or an empty one with the declared schema."""
    schema = TABLES[name]
    path = table_path(out, name)
    if not path.exists():
        return schema.empty_table()
    return pq.read_table(path, schema=schema)


def write_table(out: Path, name: str, table: pa.Table) -> Path:
    """Write ``table`` as the new version of ``name``, atomically."""
    schema = TABLES[name]
    table = table.select(schema.names).cast(schema)
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{DATA_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        pq.write_table(table, tmp, compression="zstd")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(folder / DATA_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    return folder / DATA_FILE


def publish_duckdb(out: Path, tables: Collection[str]) -> Path:
    """``out/newslake.duckdb``: one view per table over its Parquet files, for the duckdb CLI and BI tools.
    The views hold the warehouse's absolute path: a moved warehouse needs the next run (or this) to refresh them."""
    target = out / DUCKDB_FILE
    tmp = out / f".{DUCKDB_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name in tables:
                pattern = str((out / name).resolve() / "*.parquet").replace("'", "''")
                con.execute(f"create or replace view {name} as select * from read_parquet('{pattern}')")
        finally:
            con.close()
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


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
