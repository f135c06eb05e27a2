"""Ingest: the paths a run is given → raw records (text dumps, HTML pages, JSON/JSONL records, web archives; each
optionally gzipped). ``discover`` finds the files, ``files`` reads each by its format through ``decode`` (bytes →
text), ``jsonstream`` (JSON arrays and lines, a record at a time), ``markup`` (large HTML pages, reduced on the way
in) and ``warc`` (WARC files, a record at a time); ``readable`` names the formats and JSON fields.

The names below are loaded on first use: the command line imports ``discover`` and ``readable`` to check a run
before Prefect starts (2.5 s to import), which importing this package must not undo."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tasks.ingest.discover import Discovered, discover_inputs
    from tasks.ingest.files import (
        DEFAULT_MAX_BYTES,
        RECORD_WEIGHT,
        decode_text,
        discover_task,
        ingest_chunks,
        ingest_files,
        ingest_task,
        records_from_file,
    )
    from tasks.ingest.readable import FIELD_ALIASES

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FIELD_ALIASES",
    "RECORD_WEIGHT",
    "Discovered",
    "decode_text",
    "discover_inputs",
    "discover_task",
    "ingest_chunks",
    "ingest_files",
    "ingest_task",
    "records_from_file",
]
_HOME = {"Discovered": "discover", "discover_inputs": "discover", "FIELD_ALIASES": "readable"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME.get(name, 'files')}"), name)
