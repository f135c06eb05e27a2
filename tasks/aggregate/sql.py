"""DuckDB for the aggregates that span the whole warehouse: it reads the tables' Parquet parts itself (through
fsspec for an object store) and spills to a local temporary folder past ``MEMORY_LIMIT``, so an aggregate's memory
does not grow with the warehouse. Results come back as Arrow batch streams. DuckDB keeps the memory a query used
until its connection closes: one connection per large query.

The queries avoid what DuckDB cannot spill: DISTINCT aggregates (a plain GROUP BY first) and sorting millions of
rows (sorting entity_pairs ran out of memory under this limit). What each query peaks at is measured by
``bench.aggregates``; the README gives the figures."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import fsspec
import pyarrow as pa

from tasks.memory import return_freed_pages
from tasks.names import NAME_LABELS

MEMORY_LIMIT = "128MB"
BATCH_ROWS = 16_384
NAMED = ", ".join(f"'{label}'" for label in NAME_LABELS)  # names, not dates or numbers: "label in ({NAMED})"


@dataclass(frozen=True, slots=True)
class Parquet:
    """A table's Parquet parts (paths, or URLs of the file system given to ``connect``)."""

    urls: list[str]
    schema: pa.Schema
    filename: bool = False  # a column ``filename``: the part each row is read from


@contextmanager
def connect(filesystem: fsspec.AbstractFileSystem | None = None,
            **relations: Parquet | pa.Table | pa.RecordBatchReader) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with a memory limit, with ``relations`` (Parquet parts, Arrow tables or batch readers)
    as views or tables of their names."""
    with tempfile.TemporaryDirectory(prefix="newslake-duckdb-") as spill:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill, "threads": 1,
                                     "preserve_insertion_order": False,  # give freed memory back as it goes:
                                     "allocator_flush_threshold": "16MB",
                                     "allocator_bulk_deallocation_flush_threshold": "16MB",
                                     "allocator_background_threads": True})
        try:
            if filesystem is not None:
                con.register_filesystem(filesystem)
            for name, relation in relations.items():
                if isinstance(relation, Parquet) and relation.urls:
                    files = ", ".join("'" + url.replace("'", "''") + "'" for url in relation.urls)
                    con.execute(f"create view {name} as select * from read_parquet([{files}], union_by_name = true, "
                                f"filename = {str(relation.filename).lower()}, "
                                "hive_partitioning = false)")  # the declared columns only, not the month folders
                else:
                    con.register(name, relation.schema.empty_table() if isinstance(relation, Parquet) else relation)
            yield con
        finally:
            con.close()
            return_freed_pages()  # not gc.collect: a walk over every object at each of thousands of queries


def on_every_core(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``con`` with a thread per core, for queries that scan a large table into small state (joined to a few rows,
    or summed into few groups): their work is the scan, and their memory does not grow with the threads."""
    con.execute(f"set threads = {os.cpu_count() or 1}")
    return con


def stream(con: duckdb.DuckDBPyConnection, query: str) -> Iterator[pa.RecordBatch]:
    """The query's result, batch by batch."""
    yield from con.sql(query).fetch_record_batch(BATCH_ROWS)


def buckets(con: duckdb.DuckDBPyConnection, size_query: str, per_bucket: int) -> int:
    """How many buckets (one at least) split the size ``size_query`` gives into about ``per_bucket`` each: a query
    too large for the memory limit at once runs once per bucket, on the rows whose key hashes to it."""
    row = con.sql(size_query).fetchone()
    return max(1, -(-int(row[0] or 0 if row else 0) // per_bucket))


def table(con: duckdb.DuckDBPyConnection, query: str, schema: pa.Schema) -> pa.Table:
    """The query's (small) result as a table of ``schema``."""
    result = con.sql(query).to_arrow_table()
    return result.select(schema.names).cast(schema)
