"""The record of a committed version (``CURRENT``, and ``PUBLISHING`` while it is published): its parts, and the
columns its tables' parts hold."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from tasks.schemas import TABLES

Manifest = Mapping[str, tuple[str, ...]]  # table name → its parts' file names, in the order they were written


def encode_manifest(version: str, tables: Manifest, columns: Mapping[str, str] | None = None) -> bytes:
    record: dict[str, object] = {"version": version, "tables": {k: list(v) for k, v in tables.items()}}
    if columns:
        record["columns"] = dict(columns)
    return json.dumps(record, indent=1).encode()


def decode_manifest(data: bytes) -> tuple[str, Manifest, dict[str, str]]:
    """The version, its parts and its columns marks (none from a version before the marks)."""
    record = json.loads(data)
    return (record["version"], {name: tuple(parts) for name, parts in record["tables"].items()},
            dict(record.get("columns", {})))


def columns_mark(name: str) -> str:
    """A digest of table ``name``'s declared columns. A version's manifest records it for each table (``columns``)
    when every part of the table holds those columns, as this version's commits make them (``Commit.keep``)."""
    return hashlib.sha256(",".join(TABLES[name].names).encode()).hexdigest()[:16]
