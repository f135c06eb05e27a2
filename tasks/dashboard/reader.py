"""The dashboard's one way into the warehouse: a read-only DuckDB connection, reopened when a commit lands, and
query results cached per commit.

A commit replaces ``newslake.duckdb`` by a rename and ``.newslake/CURRENT`` by another: the connection is opened
again when either changes (the old one keeps reading the old file's views, which name the same table folders, but
views added by the user's ``views.sql`` would be missed). Results are kept under the version ``CURRENT`` names, so
a reload after a commit asks DuckDB again, and a reload without one costs a dictionary look-up. Read-only
connections take no lock a run waits for.
"""

from __future__ import annotations

import datetime as dt
import decimal
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from tasks.warehouse import storage

CACHE_ENTRIES = 512  # answers kept for the current version (a page asks for 2-4)
Row = dict[str, Any]


class Warehouse:
    """A local warehouse as the dashboard reads it; safe to share between the server's threads."""

    def __init__(self, out: str | Path) -> None:
        self.out = storage.location(out)
        self._lock = threading.Lock()  # one DuckDB connection: one query at a time through it
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opened_for: tuple[str, int, int] | None = None
        self._cache: OrderedDict[tuple[str, str, tuple[Any, ...]], list[Row]] = OrderedDict()

    def version(self) -> str:
        """The version ``.newslake/CURRENT`` names now."""
        return storage.current(self.out).version or ""  # the CLI refuses a folder without a commit

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of ``sql`` as dicts of JSON-ready values, from the cache when this version answered it before."""
        with self._lock:
            version = self._connect()
            key = (version, sql, tuple(params))
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            rows = self._run(sql, params)
            self._cache[key] = rows
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
            return rows

    def has_view(self, name: str) -> bool:
        return bool(self.query("select 1 from duckdb_views() where view_name = ?", [name]))

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def _connect(self) -> str:
        """Open (again) when the DuckDB file or CURRENT changed; returns the version the connection reads."""
        version = self.version()
        stat = (Path(self.out) / storage.DUCKDB_FILE).stat()
        opened_for = (version, stat.st_ino, stat.st_mtime_ns)
        if self._con is None or opened_for != self._opened_for:
            if self._con is not None:
                self._con.close()
            self._con = storage.open_duckdb(self.out)
            self._opened_for = opened_for
            self._cache = OrderedDict((k, v) for k, v in self._cache.items() if k[0] == version)
        return version

    def _run(self, sql: str, params: Sequence[Any]) -> list[Row]:
        assert self._con is not None
        try:
            cursor = self._con.execute(sql, list(params))
        except duckdb.IOException:
            # a commit swapped a table folder between DuckDB listing it and reading a part: the next listing
            # finds the new version's parts
            cursor = self._con.execute(sql, list(params))
        names = [d[0] for d in cursor.description or []]
        return [{n: _json_value(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def _json_value(value: Any) -> Any:
    """Dates as ISO text, decimals (DuckDB's sums of integers are HUGEINT) as numbers, lists and structs item by
    item."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):  # a DuckDB struct
        return {k: _json_value(v) for k, v in value.items()}
    return value
