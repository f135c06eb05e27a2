"""Ingest: the paths a run is given → raw records (text dumps, HTML pages, JSON/JSONL records, web archives; each
optionally gzipped). ``discover`` finds the files, ``files`` reads each by its format through ``decode`` (bytes →
text), ``jsonstream`` (JSON arrays and lines, a record at a time), ``markup`` (large HTML pages, reduced on the way
in) and ``warc`` (WARC files, a record at a time)."""

from tasks.ingest.discover import Discovered, discover_inputs, discover_task
from tasks.ingest.files import (
    DEFAULT_MAX_BYTES,
    FIELD_ALIASES,
    RECORD_WEIGHT,
    decode_text,
    ingest_chunks,
    ingest_files,
    ingest_task,
    records_from_file,
)

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
