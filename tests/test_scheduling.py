"""The run's scheduling: work cut by volume, NLP batches in flight at most two per slot, results in order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from flows.scheduling import (
    CLEAN_BATCH_CHARS,
    IN_FLIGHT_PER_SLOT,
    NlpBatcher,
    clean_batches,
    in_own_thread,
    in_submission_order,
    nlp_batches,
)
from tasks.records import CleanArticle, RawRecord


def test_own_thread_keeps_the_generators_context_and_passes_on_its_errors() -> None:
    threads: set[str] = set()

    def numbers() -> Iterator[int]:
        for n in range(5):
            threads.add(threading.current_thread().name)
            yield n
        raise ValueError("broken input reader")

    got = []
    with pytest.raises(ValueError, match="broken input reader"):
        for n in in_own_thread(numbers):
            got.append(n)
    assert got == [0, 1, 2, 3, 4] and threads == {"newslake-ingest"}
    assert list(in_own_thread(lambda: iter(range(3)))) == [0, 1, 2]


def _article(n: int, text: str) -> CleanArticle:
    return CleanArticle(article_id=f"a{n}", text=text, content_hash="h", source_uri=f"f#{n}", source_format="json")


def test_nlp_batches_hold_batch_size_articles_or_more_when_they_are_short() -> None:
    ordinary = [_article(n, "word " * 400) for n in range(200)]
    batcher = NlpBatcher(64)
    assert [len(b) for b in [*batcher.add(ordinary), *batcher.finish()]] == [64, 64, 64, 8]
    tiny = [_article(n, f"w{n}") for n in range(10_000)]
    batcher = NlpBatcher(64)
    batches = [*batcher.add(tiny[:5_000]), *batcher.add(tiny[5_000:]), *batcher.finish()]
    assert [len(b) for b in batches] == [4096, 4096, 1808]
    assert [a for b in batches for a in b] == tiny
    batcher = NlpBatcher(8, tail=4)  # a pool of workers: the run's last batches are a quarter of the size
    batches = [*batcher.add(ordinary[:50]), *batcher.add(ordinary[50:100]), *batcher.finish()]
    assert [len(b) for b in batches] == [8] * 8 + [2] * 18 and [a for b in batches for a in b] == ordinary[:100]


def test_clean_batches_follow_the_volume_of_text() -> None:
    tiny = [RawRecord(source_uri=f"f#{n}", source_format="json", text="word") for n in range(10_000)]
    pages = [RawRecord(source_uri=f"p{n}", source_format="html", html="x" * 300_000) for n in range(10)]
    assert len(list(clean_batches(tiny))) == 10_000 * (4 + 512) // CLEAN_BATCH_CHARS + 1
    assert [len(b) for b in clean_batches(pages)] == [4, 4, 2]


def test_results_come_in_submission_order_with_at_most_two_per_slot_in_flight() -> None:
    """Later batches finish first on a real thread pool; the results still come oldest first, and no more than
    IN_FLIGHT_PER_SLOT * slots batches are ever submitted and not yet taken."""
    out, most = 0, 0
    lock = threading.Lock()
    drawn: list[int] = []

    def items() -> Iterator[int]:
        for n in range(12):
            drawn.append(n)
            yield n

    def work(n: int) -> int:
        time.sleep(0.01 * (12 - n))  # the later, the sooner done
        return n * n

    with ThreadPoolExecutor(max_workers=4) as pool:
        def submit(n: int) -> Future[int]:
            nonlocal out, most
            with lock:
                out += 1
                most = max(most, out)
            return pool.submit(work, n)

        got = []
        for n, pending in in_submission_order(items(), submit, slots=2):
            got.append((n, pending.result()))
            out -= 1
            assert len(drawn) <= n + 1 + IN_FLIGHT_PER_SLOT * 2  # ingest is drawn only as fast as results are taken
    assert got == [(n, n * n) for n in range(12)]
    assert most == IN_FLIGHT_PER_SLOT * 2 + 1  # the one just submitted, before the oldest is handed back


def test_nlp_batches_end_smaller_only_when_several_slots_share_the_work() -> None:
    articles = [_article(n, "word " * 400) for n in range(100)]
    chunks = [articles[:30], articles[30:70], articles[70:]]
    one = list(nlp_batches(chunks, 8, slots=1))
    assert [len(b) for b in one] == [8] * 12 + [4]
    pool = list(nlp_batches(chunks, 8, slots=2))  # the last 2 x 2 batches' worth go in quarter-size batches
    assert [len(b) for b in pool] == [8] * 8 + [2] * 18
    for batches in (one, pool):
        assert [a for b in batches for a in b] == articles
    assert list(nlp_batches([], 8, slots=4)) == []
