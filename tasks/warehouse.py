"""Merge a run into the warehouse's committed state, then commit every table as one new version.

A run writes its rows into the new version as they come (``RunOutput``): sentences as parts of the version,
articles, entities and quotes set aside for the aggregate stage, which rewrites them with marks and merged ids.

Merge rule: rows that came from an input file this run read (a new or changed file) replace that file's earlier
rows; rows from other inputs stay. An article already in the warehouse from another input, or earlier in this run,
is quarantined as ``duplicate`` before any NLP work is spent on it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from prefect import task
from prefect.cache_policies import NONE
from prefect.states import State

from tasks import aggregate, ids, manifest, storage
from tasks.ingest import discover_inputs
from tasks.nlp import NlpRows
from tasks.outlets import Registry
from tasks.records import CleanArticle, Quarantined
from tasks.schemas import ARTICLES, QUARANTINE

STAGED = ("articles", "entities", "quotes")  # tables the aggregate stage rewrites

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunStamp:
    """What the rows a run writes are stamped with."""

    at: datetime
    pipeline_version: str  # newslake's version
    warehouse_version: str  # the version this run commits


@dataclass(frozen=True, slots=True)
class RunStart:
    """Where a run starts: the committed state, the input files to read, and the articles already in the warehouse."""

    base: storage.Snapshot
    plan: manifest.Plan
    missing: list[Quarantined]  # input paths that do not exist
    replaced: list[str]  # inputs whose earlier rows this run's rows replace: new or changed files, missing paths
    seen: dict[str, str]  # article_id -> where it is, for articles this run does not replace


class RunOutput:
    """What a run has produced so far. Rows go into the version the run will commit as soon as an NLP batch is
    done: sentences as parts of that version, articles, entities and quotes set aside for the aggregate stage,
    which rewrites them. What stays in memory is counts, the quarantine and the ids of articles seen."""

    def __init__(self, commit: storage.Commit | None, stamp: RunStamp | None, registry: Registry,
                 quarantined: list[Quarantined], seen: dict[str, str]) -> None:
        self.commit, self.stamp, self.registry = commit, stamp, registry
        self.quarantined = quarantined
        self.seen = seen  # article_id -> where it already is
        self.articles = self.sentences = self.entities = 0
        self.languages: Counter[str] = Counter()
        self.per_file: Counter[str] = Counter()  # input file -> articles from it
        self._writers: dict[str, storage.PartWriter] = {}

    def take_new(self, articles: Sequence[CleanArticle]) -> list[CleanArticle]:
        """The articles neither the warehouse nor this run has yet; a repeat is quarantined as ``duplicate``."""
        new = []
        for article in articles:
            if where := self.seen.get(article.article_id):
                self.quarantined.append(Quarantined(source_uri=article.source_uri, reason="duplicate",
                                                    detail=f"article {article.article_id} is already {where}"))
            else:
                self.seen[article.article_id] = "earlier in this run"
                new.append(article)
        return new

    def add(self, articles: Sequence[CleanArticle], rows: NlpRows) -> None:
        if self.commit is None or self.stamp is None:
            raise ValueError("this run reads no input: it has no version to add rows to")
        if not self._writers:
            self._writers = {name: self.commit.stager(name) for name in STAGED}
            self._writers["sentences"] = self.commit.writer("sentences")
        self._writers["articles"].write(articles_table(articles, rows.sentence_counts, self.stamp.at,
                                                       self.stamp.pipeline_version, self.registry))
        for name, table in (("sentences", rows.sentences), ("entities", rows.entities), ("quotes", rows.quotes)):
            self._writers[name].write(table)
        self.articles += len(articles)
        self.sentences += rows.sentences.num_rows
        self.entities += rows.entities.num_rows
        self.languages.update(a.language or "unknown" for a in articles)
        self.per_file.update(storage.source_file(a.source_uri) for a in articles)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


@dataclass(frozen=True, slots=True)
class Merged:
    """A run merged into the version it writes: sentences, quarantine and inputs are final; articles, entities
    and quotes are the kept rows of the base version plus the run's, read batch by batch by the aggregate."""

    base: storage.Snapshot
    commit: storage.Commit
    kept: frozenset[str]  # articles of the base version that stay

    def batches(self, name: str, columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        yield from self.base.batches(name, columns, self.kept)
        yield from self.commit.staged(name, columns)


def start(out: str, inputs: Sequence[str]) -> RunStart:
    """Open the warehouse at ``out`` (a storage.location) for writing (hold its lock) and plan the run from the
    manifest."""
    base = storage.open_for_writing(out)
    files, missing = discover_inputs(inputs)
    if storage.is_local(out):
        files = [f for f in files if not f.is_relative_to(out)]  # an input folder holding the warehouse itself
    plan = manifest.plan(files, base.read("inputs"))
    replaced = [f.path for f in plan.todo] + [q.source_uri for q in missing]
    return RunStart(base, plan, missing, replaced, kept_articles(base, replaced))


def kept_articles(base: storage.Snapshot, replaced: Collection[str]) -> dict[str, str]:
    """article_id -> where it is, for the committed articles whose input this run does not replace."""
    rows = storage.rows_not_from(base.read("articles", ["article_id", "source_uri"]), replaced)
    return {str(a): f"in the warehouse from {u}" for a, u in zip(rows["article_id"].to_pylist(),
                                                                  rows["source_uri"].to_pylist(), strict=True)}


def articles_table(articles: Sequence[CleanArticle], sentence_counts: dict[str, int], now: datetime,
                   version: str, registry: Registry) -> pa.Table:
    rows = [{
        "article_id": a.article_id,
        "outlet_id": _outlet_id(registry, a),
        "source_outlet": a.outlet_name,
        "source_domain": a.outlet_domain,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "title": a.title,
        "subtitle": a.subtitle,
        "authors": list(a.authors),
        "published_at": a.published_at,
        "language": a.language,
        "text": a.text,
        "word_count": len(a.text.split()),
        "sentence_count": sentence_counts.get(a.article_id, 0),
        "image_credits": list(a.image_credits),
        "section": a.section,
        "tags": list(a.tags),
        "source_uri": a.source_uri,
        "source_id": a.source_id,
        "source_format": a.source_format,
        "content_hash": a.content_hash,
        "story_id": ids.story_id(a.article_id),  # its own story until the aggregate stage clusters the warehouse
        "ingested_at": now,
        "pipeline_version": version,
    } for a in articles]
    return pa.Table.from_pylist(rows, schema=ARTICLES)


def _outlet_id(registry: Registry, article: CleanArticle) -> str:
    resolved = registry.resolve(article.outlet_name, article.outlet_domain)
    return resolved.outlet_id if resolved else aggregate.UNKNOWN_OUTLET


def quarantine_table(items: Sequence[Quarantined], now: datetime) -> pa.Table:
    rows = [{"source_uri": q.source_uri, "reason": q.reason, "detail": q.detail, "ingested_at": now} for q in items]
    return pa.Table.from_pylist(rows, schema=QUARANTINE)


def merge(run: RunOutput, processed: Sequence[manifest.InputFile], replaced: Collection[str]) -> Merged:
    """Merge ``run`` into its version; ``replaced`` are the inputs whose earlier rows this run's rows replace.
    A part of the base version's sentences none of whose rows go is carried over as it is (a hard link)."""
    if run.commit is None or run.stamp is None:
        raise ValueError("this run reads no input: it has nothing to merge")
    run.close()
    commit, base = run.commit, run.commit.base
    kept = frozenset(kept_articles(base, replaced))
    fs = storage.filesystem(base.out)[0] if not storage.is_local(base.out) else None
    with commit.writer("sentences") as sentences:
        for part in base.parts("sentences"):
            ids_ = pq.read_table(part, columns=["article_id"], filesystem=fs)["article_id"]
            if pc.all(storage.is_in(ids_, kept)).as_py() is not False:
                commit.keep("sentences", [part])
            else:
                sentences.write_all(storage.scan(base.out, "sentences", [part], articles=kept))
    commit.write("quarantine", pa.concat_tables([storage.rows_not_from(base.read("quarantine"), replaced),
                                                 quarantine_table(run.quarantined, run.stamp.at)]))
    commit.write("inputs", manifest.updated(base.read("inputs"), processed, run.per_file, run.quarantined,
                                            run.stamp.warehouse_version, run.stamp.at))
    return Merged(base, commit, kept)


def transient_io_error(_task: object, _task_run: object, state: State[Any]) -> bool:
    """Retry an I/O task after an OS error (a network file system's hiccup), not after one that would repeat."""
    return isinstance(state.result(raise_on_failure=False), OSError)


@task(name="start", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_io_error, cache_policy=NONE)
def start_task(out: str, inputs: list[str]) -> RunStart:
    return start(out, inputs)


@task(name="merge", cache_policy=NONE)
def merge_task(run: RunOutput, processed: list[manifest.InputFile], replaced: list[str]) -> Merged:
    return merge(run, processed, replaced)


@task(name="commit", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_io_error,
      cache_policy=NONE)
def commit_task(commit: storage.Commit) -> storage.Snapshot:
    """Make the version current, all tables at once."""
    return commit.publish()
