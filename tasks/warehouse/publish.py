"""Publishing a local version: its table folders swapped in for the current ones, then ``CURRENT`` rewritten.

A version is written whole under ``.newslake/versions/<version>`` (commit.py), then published in three steps:

1. its manifest is written as ``.newslake/PUBLISHING`` (write to a temporary name, fsync, rename): from then on
   the version is committed, and a run killed at any later point is finished by the next writer (``complete``);
2. each table folder of the version is exchanged with ``DIR/<table>`` by one ``renameat2(RENAME_EXCHANGE)``: a
   reader of the folder finds the old table or the new one, never none and never a mix; the DuckDB file moves in;
3. ``PUBLISHING`` is renamed to ``CURRENT``.

Steps 2 and 3 run under the exclusive publish lock, which a pinning reader shares (snapshot.py). After them the
version's folder holds the tables it replaced; it and every pin no reader holds any longer are removed
(``remove_stale``).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import shutil
import uuid
from pathlib import Path

from tasks.warehouse.snapshot import (
    CURRENT_FILE,
    DUCKDB_FILE,
    LEASE_FILE,
    PINS_DIR,
    PUBLISHING_FILE,
    STATE_DIR,
    publish_lock,
)
from tasks.warehouse.version_record import decode_manifest, encode_manifest

log = logging.getLogger(__name__)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_libc = ctypes.CDLL(None, use_errno=True)


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds the old bytes or ``data``, never part of them, whenever the process is killed."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with tmp.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    tmp.replace(path)
    fsync(path.parent)


def exchange(new: Path, live: Path) -> None:
    """Swap two folders by one system call (Linux 3.15+); where the file system cannot, by three renames, between
    which ``live`` is missing for a moment (a kill there: ``complete`` finds ``live`` missing and moves ``new`` in)."""
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, bytes(new), _AT_FDCWD, bytes(live), _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(live))
    aside = new.with_name(f"{new.name}.old")
    live.rename(aside)
    new.rename(live)
    aside.rename(new)


def publish(out: Path, version: str, tables: dict[str, tuple[str, ...]], columns: dict[str, str]) -> None:
    """Make the written version ``version`` (its parts: ``tables``, holding ``columns``) the current one."""
    write_atomically(out / STATE_DIR / PUBLISHING_FILE, encode_manifest(version, tables, columns))
    complete(out)


def complete(out: Path) -> None:
    """Finish the publication ``PUBLISHING`` names, if any: swap in each table folder that is not yet the
    version's, move its DuckDB file in, rename ``PUBLISHING`` to ``CURRENT``. Safe to repeat after a kill."""
    state = out / STATE_DIR
    try:
        version, tables, _ = decode_manifest((state / PUBLISHING_FILE).read_bytes())
    except FileNotFoundError:
        return
    staged = state / "versions" / version
    with publish_lock(state, fcntl.LOCK_EX):
        for name, parts in tables.items():
            live, new = out / name, staged / name
            if _parts(live) == set(parts):
                continue
            if live.is_dir():
                exchange(new, live)
            else:
                new.rename(live)
        if (staged / DUCKDB_FILE).exists():
            (staged / DUCKDB_FILE).replace(out / DUCKDB_FILE)
        fsync(out)
        (state / PUBLISHING_FILE).replace(state / CURRENT_FILE)
        fsync(state)


def _parts(folder: Path) -> set[str]:
    """The parts of a table folder, named as ``CURRENT`` lists them (a month's: ``month=…/part-….parquet``)."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")} if folder.is_dir() else set()


def remove_stale(out: Path, published: str | None = None) -> None:
    """Remove version folders (the one just ``published``, holding the tables it replaced, and any a run that
    failed or was killed left) and the pins of readers that are gone (no flock on their lease). Hold the writer
    lock, and ``complete`` first."""
    state = out / STATE_DIR
    if not state.is_dir():
        return
    versions = state / "versions"
    for folder in sorted(versions.iterdir()) if versions.is_dir() else ():
        if folder.name != published:
            log.warning("removing version %s, left uncommitted by a run that failed or was killed", folder.name)
        shutil.rmtree(folder, ignore_errors=True)
    pins = state / PINS_DIR
    with publish_lock(state, fcntl.LOCK_EX):  # a reader makes its pin under the shared lock: none is half made here
        for pin in pins.iterdir() if pins.is_dir() else ():
            try:
                fd = os.open(pin / LEASE_FILE, os.O_RDWR)
            except FileNotFoundError:  # its reader is removing it
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a reader holds it
            finally:
                os.close(fd)
            shutil.rmtree(pin, ignore_errors=True)


def migrate_links(out: Path, tables: list[str]) -> None:
    """A warehouse written by newslake < 0.5 (``DIR/<table>`` links through ``.newslake/current``, a link to the
    version): published again in this layout, the version's folder staged as is."""
    link = out / STATE_DIR / "current"
    if not link.is_symlink():
        return
    version = link.readlink().name
    staged = out / STATE_DIR / "versions" / version
    log.warning("moving %s to the layout of plain table folders", out)
    parts = {name: tuple(sorted(_parts(staged / name))) for name in tables if (staged / name).is_dir()}
    for name in [*tables, DUCKDB_FILE]:
        if (out / name).is_symlink():
            (out / name).unlink()
    (staged / DUCKDB_FILE).unlink(missing_ok=True)  # its views name the version's files: the next commit writes one
    write_atomically(out / STATE_DIR / PUBLISHING_FILE, encode_manifest(version, parts))
    link.unlink()
    complete(out)
