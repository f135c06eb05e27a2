"""DuckDB for the aggregates that span the whole warehouse: it reads the tables' Parquet parts as streams (Arrow
datasets, any file system pyarrow reads) and spills to a local temporary folder past ``MEMORY_LIMIT``, so an
aggregate's memory does not grow with the warehouse. Results come back as Arrow batch streams."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import pyarrow as pa

MEMORY_LIMIT = "256MB"
BATCH_ROWS = 16_384


@contextmanager
def connect(**relations: Any) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with a memory limit, with ``relations`` (Arrow tables, datasets or batch
    readers) registered under their names."""
    with tempfile.TemporaryDirectory(prefix="newslake-duckdb-") as spill:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill, "threads": 2,
                                     "preserve_insertion_order": False})
        try:
            for name, relation in relations.items():
                con.register(name, relation)
            yield con
        finally:
            con.close()


def stream(con: duckdb.DuckDBPyConnection, query: str) -> Iterator[pa.RecordBatch]:
    """The query's result, batch by batch."""
    yield from con.sql(query).fetch_record_batch(BATCH_ROWS)


def table(con: duckdb.DuckDBPyConnection, query: str, schema: pa.Schema) -> pa.Table:
    """The query's (small) result as a table of ``schema``."""
    result = con.sql(query).to_arrow_table()
    return result.select(schema.names).cast(schema)
