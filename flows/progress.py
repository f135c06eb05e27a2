"""What a run shows the person who started it while it works: files read and articles analysed of the total, the
rate, the time left and the stage the run is waiting on.

The flow reports to ``current()`` where its work finishes (a batch of files read, articles handed on to NLP, an NLP
batch done, a stage entered); the command line chooses what that shows with ``showing``: a live display (rich) on a
terminal, a plain line per finished NLP batch when the output goes to a file or a pipe, nothing with --quiet. A
served run, which no one watches, shows nothing. How many articles a run holds is known only once every file is
read: until then the total is estimated from the bytes read so far, and marked "~".
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress

    from tasks.warehouse.manifest import InputFile


class Display:
    """Counts what a run has done; shows nothing (a served run, --quiet). ``Lines`` and ``Live`` show it."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.stage_name = "start"
        self.files_total = self.files_read = self.bytes_total = self.bytes_read = 0
        self.found = self.analysed = self.batches = 0
        self.last_batch = self.started
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()  # files are read in a thread of their own (flows.scheduling.in_own_thread)

    def planned(self, todo: Sequence[InputFile]) -> None:
        """The run will read ``todo``."""
        self._sizes = {f.path: f.size for f in todo}
        self.files_total, self.bytes_total = len(todo), sum(self._sizes.values())
        self.started = self.last_batch = time.monotonic()  # the rate counts the run's work, not Prefect's start-up
        self.show()

    def read(self, paths: Sequence[Path]) -> None:
        """A batch of input files is read."""
        with self._lock:
            self.files_read += len(paths)
            self.bytes_read += sum(self._sizes.get(str(p), 0) for p in paths)

    def handed_on(self, articles: int) -> None:
        """``articles`` new articles go to NLP."""
        with self._lock:
            self.found += articles

    def analysed_batch(self, articles: int) -> None:
        """An NLP batch of ``articles`` is done and written."""
        self.analysed += articles
        self.batches += 1
        self.last_batch = time.monotonic()
        self.show(batch_done=True)

    def stage(self, name: str) -> None:
        if name != self.stage_name:
            self.stage_name = name
            self.show()

    def total(self) -> tuple[int, bool]:
        """The run's articles, and whether that is an estimate (files still unread)."""
        if self.files_read >= self.files_total or not self.bytes_read:
            return max(self.found, self.analysed), False
        return max(self.found, round(self.found * self.bytes_total / self.bytes_read)), True

    def rate(self) -> float:
        """Articles analysed per second, from the run's start to the last batch done."""
        return self.analysed / max(self.last_batch - self.started, 1e-9)

    def eta(self) -> str:
        total, _ = self.total()
        rate = self.rate()
        if not rate or self.files_read == 0:
            return "?"
        seconds = round((total - self.analysed) / rate)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def counts(self) -> str:
        total, estimated = self.total()
        of = "?" if not self.files_read else f"~{total:,}" if estimated else f"{total:,}"
        return (f"files {self.files_read}/{self.files_total}, articles {self.analysed:,}/{of}, "
                f"{self.rate():.1f} articles/s, ETA {self.eta()}")

    def show(self, batch_done: bool = False) -> None:
        """Show the counts as they are now (nothing, here)."""


class Lines(Display):
    """One plain line per finished NLP batch (and per stage after NLP), for a log file or a pipe."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def show(self, batch_done: bool = False) -> None:
        if batch_done:
            print(f"newslake: batch {self.batches} done: {self.counts()}", file=self.stream, flush=True)
        elif self.stage_name in ("merge", "aggregate", "commit"):
            print(f"newslake: {self.stage_name}: {self.analysed:,} articles", file=self.stream, flush=True)


class Live(Display):
    """A live display on a terminal (rich), redrawn four times a second."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress
        self.task = progress.add_task("newslake", total=None, stage="starting Prefect", counts="")

    def show(self, batch_done: bool = False) -> None:
        total, _ = self.total()
        self.progress.update(self.task, total=total or None, completed=self.analysed, stage=self.stage_name,
                             counts=self.counts() if self.files_total else "")


_current: Display = Display()


def current() -> Display:
    """Where the running flow reports its progress."""
    return _current


@contextmanager
def showing(mode: str) -> Iterator[Display]:
    """Show the progress of the runs in this block: ``mode`` "live" (a terminal), "lines" or "quiet"."""
    global _current
    if mode == "live":
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.fields[stage]:<9}"), BarColumn(),
                   TextColumn("{task.percentage:>3.0f}% {task.fields[counts]}, elapsed"), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True)) as bar:  # prints of the run appear above it
            _current = Live(bar)
            try:
                yield _current
            finally:
                _current = Display()
        return
    _current = Lines(sys.stderr) if mode == "lines" else Display()
    try:
        yield _current
    finally:
        _current = Display()
