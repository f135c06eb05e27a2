"""The manifest of processed inputs (table ``inputs``): which files a run must read and which it may skip.

A file is unchanged when the manifest holds its path with the same SHA-256. The hash is recomputed only when the
size or modification time differ from the manifest's (as git and rsync do), so re-checking an unchanged folder
costs one ``stat`` per file. A new or changed file is read again and its rows replace those of its earlier version.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tasks.records import Quarantined
from tasks.schemas import INPUTS
from tasks.storage import is_in, source_file

RETRY_REASONS = frozenset({"read_error"})  # transient: such a file is tried again by the next run


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str
    size: int
    mtime_ns: int
    sha256: str  # "" when the file could not be read (the ingest stage quarantines it)


@dataclass(frozen=True, slots=True)
class Plan:
    todo: list[InputFile]  # new or changed since the manifest
    unchanged: list[InputFile]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def plan(files: Sequence[Path], manifest: pa.Table) -> Plan:
    """Split ``files`` into those to process and those the manifest already holds unchanged."""
    known = {str(r["source_file"]): r for r in manifest.select(["source_file", "content_hash", "size_bytes",
                                                                 "mtime_ns"]).to_pylist()}
    todo: list[InputFile] = []
    unchanged: list[InputFile] = []
    for path in files:
        try:
            st = path.stat()
            row = known.get(str(path))
            same_stat = row is not None and (row["size_bytes"], row["mtime_ns"]) == (st.st_size, st.st_mtime_ns)
            sha = str(row["content_hash"]) if row is not None and same_stat else file_sha256(path)
            item = InputFile(str(path), st.st_size, st.st_mtime_ns, sha)
        except OSError:
            todo.append(InputFile(str(path), 0, 0, ""))
            continue
        (unchanged if row is not None and row["content_hash"] == sha else todo).append(item)
    return Plan(todo, unchanged)


def updated(manifest: pa.Table, processed: Sequence[InputFile], added: Mapping[str, int],
            quarantined: Sequence[Quarantined], version: str, now: datetime) -> pa.Table:
    """The manifest after a run: earlier rows of files it did not process, and one row per file it did (``added``:
    articles per file). A file that could not be read is left out, so the next run tries it again."""
    set_aside = Counter(source_file(q.source_uri) for q in quarantined)
    retry = {source_file(q.source_uri) for q in quarantined if q.reason in RETRY_REASONS}
    done = [f for f in processed if f.sha256 and f.path not in retry]
    rows = [{"source_file": f.path, "content_hash": f.sha256, "size_bytes": f.size, "mtime_ns": f.mtime_ns,
             "articles": added.get(f.path, 0), "quarantined": set_aside[f.path], "version": version,
             "processed_at": now}
            for f in done]
    kept = manifest.filter(pc.invert(is_in(manifest["source_file"], [f.path for f in processed])))
    return pa.concat_tables([kept, pa.Table.from_pylist(rows, schema=INPUTS)])
