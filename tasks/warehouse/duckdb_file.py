"""``DIR/newslake.duckdb``: views over the warehouse's tables for the DuckDB CLI and BI tools, written by every
local commit (and by ``export``)."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from tasks import schemas
from tasks.schemas import TABLES
from tasks.warehouse import partitions, publish
from tasks.warehouse.snapshot import DUCKDB_FILE
from tasks.warehouse.storage import RAW_AREA, USER_VIEWS_FILE

log = logging.getLogger(__name__)


def publish_duckdb(target: Path, version: Path, out: Path) -> None:
    """A DuckDB file for the CLI and BI tools: one view per table over ``<table>/*.parquet`` (paths relative to
    the warehouse, which DuckDB resolves against its ``file_search_path`` or else the working folder: the file
    works wherever the warehouse is moved or copied, and a connection held across commits reads each table's
    current parts at every query); a ``source_health`` view over what gather writes of each poll (JSON lines,
    read as they grow); then the user's own views, ``DIR/views.sql``, which every commit runs again. Built in a
    temporary folder and moved in: DuckDB puts its write-ahead log at a path cut at the first ``?`` of the
    database's path, and reads a comma in ``file_search_path`` as a separator: the views are bound in a scratch
    folder that links to the tables."""
    with tempfile.TemporaryDirectory(prefix="newslake-duckdb-") as scratch:
        built, where = Path(scratch) / DUCKDB_FILE, Path(scratch) / "warehouse"
        where.mkdir()
        for name in TABLES:
            (where / name).symlink_to(version / name)
        (where / RAW_AREA).symlink_to(out / RAW_AREA)
        con = duckdb.connect(str(built), config={"file_search_path": str(where)})
        try:
            for name in TABLES:
                con.execute(f"create or replace view {name} as select * from {parquet_scan(name)}")
            if (out / RAW_AREA / SOURCE_HEALTH_FILE).exists():
                con.execute(f"create or replace view source_health as select * from read_json("
                            f"'{RAW_AREA}/{SOURCE_HEALTH_FILE}', format = 'newline_delimited', "
                            f"columns = {SOURCE_HEALTH_COLUMNS})")
            _run_user_views(con, out / USER_VIEWS_FILE)
        finally:
            con.close()
        shutil.move(built, target)
    publish.fsync(target)


def parquet_scan(name: str) -> str:
    """DuckDB's scan of table ``name``'s folder (relative): a partitioned one's month folders as the column
    ``month``, which a filter on it prunes to the months asked for."""
    if name in partitions.PARTITIONED:
        return (f"read_parquet('{name}/*/*.parquet', hive_partitioning = true, union_by_name = true, "
                f"hive_types = {{'{partitions.KEY}': VARCHAR}})")
    return f"read_parquet('{name}/*.parquet', union_by_name = true)"


def _run_user_views(con: duckdb.DuckDBPyConnection, views: Path) -> None:
    """The user's views, kept by every commit; one that fails is skipped with a warning, never the commit."""
    if not views.is_file():
        return
    try:
        con.execute(views.read_text(encoding="utf-8"))
    except (duckdb.Error, UnicodeDecodeError) as error:
        log.warning("%s was not run into %s: %s", views, DUCKDB_FILE, str(error).splitlines()[0])


SOURCE_HEALTH_FILE = "health.jsonl"  # in the raw area: gather's lines, the rows of tasks.schemas.SOURCE_HEALTH
_DUCKDB_TYPES = {pa.string(): "VARCHAR", pa.int32(): "INTEGER", pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ"}
SOURCE_HEALTH_COLUMNS = "{" + ", ".join(f"{f.name}: '{_DUCKDB_TYPES[f.type]}'" for f in schemas.SOURCE_HEALTH) + "}"
