"""The manifest of processed inputs (table ``inputs``): which files a run must read and which it may skip.

A file is unchanged when the manifest holds its path with the same SHA-256. The hash is recomputed only when the
size or modification time differ from the manifest's (as git and rsync do), so re-checking an unchanged folder
costs one ``stat`` per file. A new or changed file is read again and its rows replace those of its earlier version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tasks.schemas import INPUTS
from tasks.warehouse.storage import RAW_AREA, Snapshot, is_in, is_local, source_file, source_files

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


def input_file(source_uri: str, files: Collection[str]) -> str:
    """The input file a source_uri names: itself when it is one of ``files`` (a file may be called "x.jsonl#2"),
    else the file whose record it is ("a.jsonl#3" → "a.jsonl")."""
    return source_uri if source_uri in files else source_file(source_uri)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def plan(files: Sequence[Path], manifest: pa.Table, quarantine: pa.Table, size_limit: int) -> Plan:
    """Split ``files`` into those to process and those the manifest already holds unchanged. A file refused as
    too_large under a smaller limit than ``size_limit`` is processed again, although unchanged."""
    known = {str(r["source_file"]): r for r in manifest.select(["source_file", "content_hash", "size_bytes",
                                                                 "mtime_ns", "size_limit"]).to_pylist()}
    refused = {str(u) for u, reason in zip(quarantine["source_uri"].to_pylist(), quarantine["reason"].to_pylist(),
                                           strict=True) if reason == "too_large"}
    todo: list[InputFile] = []
    unchanged: list[InputFile] = []
    for path in files:
        row = known.get(str(path))
        item = describe(path, row)
        retry = row is not None and str(path) in refused and (row["size_limit"] or 0) < size_limit
        (unchanged if row is not None and row["content_hash"] == item.sha256 and not retry else todo).append(item)
    return Plan(todo, unchanged)


def run_plan(base: Snapshot, files: Sequence[Path], size_limit: int, reparse: bool = False) -> Plan:
    """Which of the input ``files`` a run on the committed version ``base`` reads: what ``plan`` finds new or
    changed, less the warehouse's own files (an input folder holding the warehouse), plus with ``reparse`` the web
    archives of its raw area (what gather fetched, cleaned by this version). A run starts from this (``run.start``);
    the command line asks it first, and a run it gives nothing to read does not start Prefect."""
    if is_local(base.out):
        out, raw = Path(base.out), Path(base.out) / RAW_AREA
        files = [f for f in files if not f.is_relative_to(out) or f.is_relative_to(raw)]  # gathered pages are inputs
    found = plan(files, base.read("inputs"), base.read("quarantine", ["source_uri", "reason"]), size_limit)
    if reparse:
        gathered = [f for f in found.unchanged if Path(f.path).is_relative_to(Path(base.out) / RAW_AREA)]
        found.todo.extend(gathered)
        found.unchanged[:] = [f for f in found.unchanged if f not in gathered]
    return found


def describe(path: Path, row: Mapping[str, object] | None = None) -> InputFile:
    """``path`` as an input, hashed unless the manifest's ``row`` holds it with the same size and mtime."""
    try:
        st = path.stat()
        same_stat = row is not None and (row["size_bytes"], row["mtime_ns"]) == (st.st_size, st.st_mtime_ns)
        sha = str(row["content_hash"]) if row is not None and same_stat else file_sha256(path)
    except OSError:
        return InputFile(str(path), 0, 0, "")
    return InputFile(str(path), st.st_size, st.st_mtime_ns, sha)


def providers(articles: pa.Table, quarantine: pa.Table, replaced: Collection[str],
              files: Collection[str]) -> set[str]:
    """Input files outside ``replaced`` that must be read again so no article is lost: those holding, as a
    ``duplicate`` record, an article that a replaced file provided (and may no longer provide)."""
    dropped = articles.filter(from_files(articles, replaced, ()))["article_id"]
    duplicates = quarantine.filter(pc.and_(pc.equal(quarantine["reason"], pa.scalar("duplicate")),
                                           pc.is_in(quarantine["article_id"], value_set=dropped.combine_chunks())))
    holders = {input_file(str(u), files) for u in duplicates["source_uri"].to_pylist()}
    return holders - set(replaced)


def from_files(table: pa.Table, files: Collection[str], known: Collection[str]) -> pa.Array:
    """A mask of the rows (of a table with ``source_uri``) that came from one of ``files``; ``known`` are the
    warehouse's input files (see ``input_file``)."""
    uris = table["source_uri"]
    return is_in(pc.if_else(is_in(uris, known), uris, source_files(uris)), files)


def updated(manifest: pa.Table, processed: Sequence[InputFile], added: Mapping[str, int],
            set_aside: Mapping[str, int], retry: Collection[str], version: str, now: datetime,
            size_limit: int) -> pa.Table:
    """The manifest after a run: earlier rows of files it did not process, and one row per file it did (``added``:
    articles per file, ``set_aside``: records quarantined per file). A file that could not be read (``retry``) is
    left out, so the next run tries it again."""
    paths = {f.path for f in processed}
    done = [f for f in processed if f.sha256 and f.path not in retry]
    rows = [{"source_file": f.path, "content_hash": f.sha256, "size_bytes": f.size, "mtime_ns": f.mtime_ns,
             "articles": added.get(f.path, 0), "quarantined": set_aside.get(f.path, 0), "size_limit": size_limit,
             "version": version, "processed_at": now}
            for f in done]
    kept = manifest.filter(pc.invert(is_in(manifest["source_file"], paths)))
    return pa.concat_tables([kept, pa.Table.from_pylist(rows, schema=INPUTS)])
