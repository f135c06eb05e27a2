"""How a run's work is cut into Prefect task runs and fed to the task runner.

By the volume of data, not the number of records: input files go to ingest in batches of files and bytes; ingest
hands on its records in chunks; a clean task takes up to ``CLEAN_BATCH_CHARS`` of a chunk; an NLP task takes
``batch_size`` articles, or more when they are tiny, up to a character budget. A million one-word records then make
a few hundred task runs, not tens of thousands, and an NLP batch of tiny articles costs about what a batch of
ordinary ones does.

NLP batches go to the runner while the flow ingests and cleans the next ones (``in_submission_order``): at most
``IN_FLIGHT_PER_SLOT`` per slot of the runner at once, results taken in submission order, so the tables do not
depend on which batch finished first; with several slots the run's last batches are smaller (``nlp_batches``), so
that the slots finish together.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tasks.ingest import RECORD_WEIGHT
from tasks.records import CleanArticle, RawRecord
from tasks.warehouse.manifest import InputFile

T = TypeVar("T")
R = TypeVar("R", covariant=True)

FILES_PER_INGEST_TASK = 256
# on disk: what one ingest task reads before it hands on a chunk (``tasks.ingest.CHUNK_CHARS`` bounds the chunks)
BYTES_PER_INGEST_TASK = 8 * 1024 * 1024
CLEAN_BATCH_CHARS = 1024 * 1024  # text and markup per clean task, with RECORD_WEIGHT per record
NLP_CHARS_PER_ARTICLE = 1500  # ~250 words: an NLP batch of shorter articles takes more of them
NLP_MAX_PACKED = 64  # an NLP batch holds at most this many times batch_size articles, however short
IN_FLIGHT_PER_SLOT = 2  # NLP batches submitted per runner slot: one running, one waiting, so that no slot idles


class Pending(Protocol[R]):
    """A submitted task run: a Prefect future (or a concurrent.futures one)."""

    def result(self) -> R: ...


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def file_batches(files: Sequence[InputFile], max_files: int = FILES_PER_INGEST_TASK,
                 max_bytes: int = BYTES_PER_INGEST_TASK) -> Iterator[list[Path]]:
    """Consecutive input files in batches of at most ``max_files`` files and ``max_bytes`` bytes (a larger file
    is a batch of its own)."""
    batch: list[Path] = []
    size = 0
    for f in files:
        if batch and (len(batch) == max_files or size + f.size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(Path(f.path))
        size += f.size
    if batch:
        yield batch


def clean_batches(records: Sequence[RawRecord], max_chars: int = CLEAN_BATCH_CHARS) -> Iterator[list[RawRecord]]:
    """Consecutive records in batches of about ``max_chars`` of text and markup (``RECORD_WEIGHT`` per record)."""
    batch: list[RawRecord] = []
    size = 0
    for record in records:
        batch.append(record)
        size += len(record.text or "") + len(record.html or "") + RECORD_WEIGHT
        if size >= max_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class NlpBatcher:
    """Articles in, NLP batches out: each of at least ``batch_size`` articles and, when they are short, of more,
    up to ``batch_size * NLP_CHARS_PER_ARTICLE`` characters (and ``NLP_MAX_PACKED`` times ``batch_size`` articles).

    With ``tail`` > 0 (a pool of workers) it holds back the last ``tail`` full batches' worth of articles until
    ``finish``, which sends them in batches a quarter of the size, so that the workers end close together."""

    def __init__(self, batch_size: int, tail: int = 0) -> None:
        self.limits = (batch_size, batch_size * NLP_CHARS_PER_ARTICLE, batch_size * NLP_MAX_PACKED)
        self.tail = tail
        self.pending: list[CleanArticle] = []

    def add(self, articles: Iterable[CleanArticle]) -> Iterator[list[CleanArticle]]:
        """The batches that are complete once ``articles`` are added."""
        self.pending.extend(articles)
        ends = list(self._ends(*self.limits))
        if len(ends) > self.tail:
            cut = ends[len(ends) - self.tail - 1]
            done, self.pending = self.pending[:cut], self.pending[cut:]
            start = 0
            for end in ends[: len(ends) - self.tail]:
                yield done[start:end]
                start = end

    def finish(self) -> Iterator[list[CleanArticle]]:
        """The rest, after the last article: in quarter-size batches when holding back a tail."""
        limits = tuple(max(limit // 4, 1) for limit in self.limits) if self.tail else self.limits
        start = 0
        for end in [*self._ends(*limits), len(self.pending)]:
            if end > start:
                yield self.pending[start:end]
            start = end
        self.pending = []

    def _ends(self, size: int, chars: int, most: int) -> Iterator[int]:
        """Where each complete batch of the pending articles ends."""
        count = total = 0
        for index, article in enumerate(self.pending, 1):
            count += 1
            total += len(article.text)
            if count >= most or (count >= size and total >= chars):
                yield index
                count = total = 0


def nlp_batches(articles: Iterable[Sequence[CleanArticle]], batch_size: int,
                slots: int = 1) -> Iterator[list[CleanArticle]]:
    """The NLP batches of ``articles`` (arriving a list at a time) as they fill (``NlpBatcher``). With several
    slots, the last ``IN_FLIGHT_PER_SLOT`` batches per slot are held back and sent in quarter-size batches at the
    end, so that the slots finish close together instead of one working alone on the last full batch."""
    batcher = NlpBatcher(batch_size, tail=IN_FLIGHT_PER_SLOT * slots if slots > 1 else 0)
    for chunk in articles:
        yield from batcher.add(chunk)
    yield from batcher.finish()


def in_submission_order(items: Iterable[T], submit: Callable[[T], Pending[R]],
                        slots: int = 1) -> Iterator[tuple[T, Pending[R]]]:
    """Submit ``items`` as they come and hand each back with its pending run, oldest first, as soon as more than
    ``IN_FLIGHT_PER_SLOT * slots`` are out; the caller takes the result before the next item is drawn, so the
    runner has that many at most and ``items`` (ingest and clean) is drawn only as fast as the runner works."""
    in_flight: deque[tuple[T, Pending[R]]] = deque()
    for item in items:
        in_flight.append((item, submit(item)))
        while len(in_flight) > IN_FLIGHT_PER_SLOT * slots:
            yield in_flight.popleft()
    while in_flight:
        yield in_flight.popleft()


def in_own_thread(items: Callable[[], Iterator[T]], ahead: int = 1) -> Iterator[T]:
    """Iterate ``items()`` in a thread of its own, at most ``ahead`` items ahead of the caller.

    A Prefect generator task keeps its task run's context set while the caller handles what it yielded, so the
    tasks the caller starts meanwhile would count as the generator's children; in a thread (with a copy of the
    caller's context, the flow run's) that context stays there. It also reads the next chunk while this one is
    cleaned."""
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(message, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = items()
        try:
            for item in iterator:
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller, who raises it)
            put(("error", exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(produce,), name="newslake-ingest", daemon=True)
    thread.start()
    try:
        while True:
            message = list(handoff.get())
            if message[0] == "done":
                return
            if message[0] == "error":
                raise message[1]
            yield message.pop()  # popped, not named: this frame keeps no reference while the caller works on it
    finally:
        stop.set()
        thread.join()


def timed(items: Iterator[T], clock: Callable[[str], AbstractContextManager[None]], stage: str) -> Iterator[T]:
    """``items``, the wait for each one counted as ``stage`` on ``clock``."""
    while True:
        with clock(stage):
            box = list(islice(items, 1))
        if not box:
            return
        yield box.pop()  # as in in_own_thread: no reference left here while the caller works on the item
