"""Discover: the paths a run is given (files and folders) → the input files it reads.

Every path, named or found in a folder, ends up in one of three places: a file to read; a quarantined input with a
reason (``not_found``, ``not_a_file`` for a FIFO, socket or device, ``symlink_loop``, ``read_error`` for a folder
that cannot be listed); or a count of entries skipped on purpose (``hidden``: a name starting with a dot inside a
folder, such as .git or .DS_Store; a hidden folder counts once, whatever it holds). Only ``stat`` is called on what
is found: opening a FIFO would block the run until something wrote to it.

Paths are named where they really are (symlinks followed): the manifest matches a file across runs by that name,
and a missing file's quarantine row carries the name a later run will find it under. Symlinked folders are walked,
once each; a link back to a folder it is in is a loop and quarantined.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tasks.records import Quarantined

FolderKey = tuple[int, int]  # (st_dev, st_ino): the same folder whatever path leads to it
Pending = tuple[Path, bool, frozenset[FolderKey]]  # a path to visit, whether it may be a link, the folders it is in


@dataclass(frozen=True, slots=True)
class Discovered:
    """What the paths given to a run hold."""

    files: list[Path]  # regular files, in walk order (each folder's entries by name), each once
    quarantined: list[Quarantined]  # paths that cannot be read as files, each once
    skipped: dict[str, int]  # reason -> entries inside folders skipped on purpose


def discover_inputs(paths: Sequence[str]) -> Discovered:
    """Expand files and folders (recursively) into the input files a run reads, the paths it quarantines and the
    entries it skips on purpose."""
    walk = _Walk()
    for raw in paths:
        walk.walk(Path(raw).expanduser().absolute())
    return Discovered(list(dict.fromkeys(walk.files)), list(dict.fromkeys(walk.quarantined)), dict(walk.skipped))


class _Walk:
    def __init__(self) -> None:
        self.files: list[Path] = []
        self.quarantined: list[Quarantined] = []
        self.skipped: Counter[str] = Counter()
        self.walked: set[FolderKey] = set()

    def walk(self, top: Path) -> None:
        """``top`` and, for a folder, everything in it, depth first; a stack, not recursion, so depth is no limit."""
        stack: list[Pending] = [(top, True, frozenset())]
        while stack:
            path, maybe_link, ancestors = stack.pop()
            try:
                info = path.stat()  # follows links; opens nothing
            except OSError as error:
                self._unreadable(path, error)
                continue
            real = _resolved(path) if maybe_link else path  # a folder's entries are named in its resolved path
            if stat.S_ISREG(info.st_mode):
                self.files.append(real)
            elif not stat.S_ISDIR(info.st_mode):
                self._quarantine(real, "not_a_file", f"a {_kind(info.st_mode)}, not a file (never opened)")
            elif (key := (info.st_dev, info.st_ino)) in ancestors:
                self._quarantine(path, "symlink_loop", f"a link to {real}, a folder it is in")
            elif key not in self.walked:  # a folder reached again through a link: its files are listed already
                self.walked.add(key)
                stack += reversed(self._entries(real, ancestors | {key}))

    def _entries(self, folder: Path, ancestors: frozenset[FolderKey]) -> list[Pending]:
        try:
            with os.scandir(folder) as listing:
                entries = sorted((e.name, e.is_symlink()) for e in listing)
        except OSError as error:
            self._quarantine(folder, "read_error", f"cannot list the folder: {error.strerror or error}")
            return []
        hidden = sum(name.startswith(".") for name, _ in entries)
        if hidden:
            self.skipped["hidden"] += hidden
        return [(folder / name, is_link, ancestors) for name, is_link in entries if not name.startswith(".")]

    def _unreadable(self, path: Path, error: OSError) -> None:
        if error.errno == errno.ELOOP:
            self._quarantine(_resolved(path), "symlink_loop", "a symbolic link that leads back to itself")
        elif error.errno in (errno.ENOENT, errno.ENOTDIR):
            where = _resolved(path)
            broken = f" (a broken link to {where})" if where != path and path.is_symlink() else ""
            self._quarantine(where, "not_found", f"no such file or folder: {path}{broken}")
        else:
            self._quarantine(path, "read_error", f"cannot stat: {error.strerror or error}")

    def _quarantine(self, path: Path, reason: str, detail: str) -> None:
        self.quarantined.append(Quarantined(source_uri=str(path), reason=reason, detail=detail))


def _resolved(path: Path) -> Path:
    """``path`` with its links followed as far as they lead; for a link in a loop, its own name in its resolved
    folder."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a loop: RuntimeError up to Python 3.12, OSError from 3.13
        return path if path.parent == path else _resolved(path.parent) / path.name


def _kind(mode: int) -> str:
    kinds = {stat.S_ISFIFO: "FIFO (named pipe)", stat.S_ISSOCK: "socket", stat.S_ISCHR: "character device",
             stat.S_ISBLK: "block device"}
    return next((name for test, name in kinds.items() if test(mode)), "special file")
