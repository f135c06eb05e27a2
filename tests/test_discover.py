"""Discover: every path a run is given ends up read, quarantined with a reason, or counted as skipped; nothing that
is not a regular file is ever opened (opening a FIFO blocks until something writes to it)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from tasks.ingest.discover import Discovered, discover_inputs

TIMEOUT_SECONDS = 10


def _discover(paths: Sequence[Path | str], fifos: Sequence[Path] = ()) -> Discovered:
    """discover_inputs in a thread, failing the test if it blocks (as it would by opening one of ``fifos``)."""
    done: list[Discovered | Exception] = []

    def call() -> None:
        try:
            done.append(discover_inputs([str(p) for p in paths]))
        except Exception as error:  # noqa: BLE001 (raised again in the test's thread)
            done.append(error)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(TIMEOUT_SECONDS)
    if worker.is_alive():
        for fifo in fifos:  # a writer that opens and closes ends the blocked read, so the thread can finish
            with contextlib.suppress(OSError):  # nothing is reading it after all
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"discover_inputs blocked for {TIMEOUT_SECONDS} s: it opened a FIFO")
    if isinstance(done[0], Exception):
        raise done[0]
    return done[0]


def _reasons(found: Discovered) -> list[tuple[str, str]]:
    return [(q.source_uri, q.reason) for q in found.quarantined]


def test_a_named_fifo_is_quarantined_as_not_a_file_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "feed.jsonl"
    os.mkfifo(fifo)
    found = _discover([fifo], fifos=[fifo])
    assert found.files == []
    assert _reasons(found) == [(str(fifo), "not_a_file")]
    assert "FIFO" in found.quarantined[0].detail


def test_fifos_and_sockets_inside_folders_are_quarantined_like_named_ones(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    fifo = tmp_path / "b.txt"
    os.mkfifo(fifo)
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "c.txt"))
        found = _discover([tmp_path], fifos=[fifo])
    assert found.files == [tmp_path / "a.txt"]
    assert _reasons(found) == [(str(fifo), "not_a_file"), (str(tmp_path / "c.txt"), "not_a_file")]
    assert found.skipped == {}


def test_a_named_symlink_loop_is_quarantined_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    found = _discover([loop, tmp_path / "a.txt"])
    assert found.files == [tmp_path / "a.txt"]
    assert _reasons(found) == [(str(loop), "symlink_loop")]


def test_loops_inside_folders_are_quarantined_and_the_walk_ends(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "sub" / "a.txt").write_text("An article.", encoding="utf-8")
    (inbox / "sub" / "up").symlink_to(inbox, target_is_directory=True)  # a folder holding its own ancestor
    (inbox / "x.txt").symlink_to(inbox / "y.txt")
    (inbox / "y.txt").symlink_to(inbox / "x.txt")
    found = _discover([inbox])
    assert found.files == [inbox / "sub" / "a.txt"]
    assert sorted(_reasons(found)) == [(str(inbox / "sub" / "up"), "symlink_loop"),
                                       (str(inbox / "x.txt"), "symlink_loop"), (str(inbox / "y.txt"), "symlink_loop")]


def test_a_symlinked_folder_is_walked_once_under_its_real_path(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "deep").mkdir(parents=True)
    (real / "deep" / "b.txt").write_text("An article.", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.txt").write_text("An article.", encoding="utf-8")
    (inbox / "linked").symlink_to(real, target_is_directory=True)
    (inbox / "again").symlink_to(real, target_is_directory=True)
    found = _discover([inbox, real])
    assert found.files == [inbox / "a.txt", real / "deep" / "b.txt"]
    assert found.quarantined == [] and found.skipped == {}


def test_hidden_entries_are_skipped_and_counted_but_read_when_named(tmp_path: Path) -> None:
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "x.txt").write_text("not news", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (tmp_path / "sub" / "a.txt").write_text("An article.", encoding="utf-8")
    (tmp_path / ".draft.txt").write_text("An article.", encoding="utf-8")
    found = _discover([tmp_path])
    assert found.files == [tmp_path / "sub" / "a.txt"]
    assert found.skipped == {"hidden": 3}  # .draft.txt, .git (once, whatever it holds), sub/.DS_Store
    named = _discover([tmp_path / ".draft.txt"])
    assert named.files == [tmp_path / ".draft.txt"] and named.skipped == {}


def test_missing_paths_are_quarantined_under_the_name_a_later_run_reads(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "gone.txt").symlink_to(tmp_path / "moved.txt")  # a broken link, named where it points
    found = _discover(["missing.txt", "inbox"])
    assert _reasons(found) == [(str(tmp_path / "missing.txt"), "not_found"), (str(tmp_path / "moved.txt"), "not_found")]
    (tmp_path / "missing.txt").write_text("An article.", encoding="utf-8")
    (tmp_path / "moved.txt").write_text("Another article.", encoding="utf-8")
    assert _discover(["missing.txt", "inbox"]).files == [tmp_path / "missing.txt", tmp_path / "moved.txt"]


def test_files_are_listed_once_in_walk_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.txt", "b/1.txt", "a.txt", "c.txt"):
        (tmp_path / name).write_text("An article.", encoding="utf-8")
    found = _discover([tmp_path, tmp_path / "c.txt"])
    assert [f.relative_to(tmp_path).as_posix() for f in found.files] == ["a.txt", "b/1.txt", "b/2.txt", "c.txt"]


def test_a_path_named_twice_is_listed_or_quarantined_once(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    fifo = tmp_path / "b.txt"
    os.mkfifo(fifo)
    found = _discover([tmp_path / "a.txt", tmp_path, fifo, tmp_path / "nowhere", tmp_path / "nowhere"], fifos=[fifo])
    assert found.files == [tmp_path / "a.txt"]
    assert _reasons(found) == [(str(fifo), "not_a_file"), (str(tmp_path / "nowhere"), "not_found")]
