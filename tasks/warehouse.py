"""Merge a run into the warehouse's committed state, then commit every table as one new version.

Merge rule: rows that came from an input file this run read (a new or changed file) replace that file's earlier
rows; rows from other inputs stay. An article already in the warehouse from another input, or earlier in this run,
is quarantined as ``duplicate`` before any NLP work is spent on it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NONE
from prefect.states import State

from tasks import aggregate, ids, manifest, storage
from tasks.ingest import discover_inputs
from tasks.nlp import NlpRows
from tasks.outlets import Registry
from tasks.records import CleanArticle, Quarantined
from tasks.schemas import ARTICLES, QUARANTINE, TABLES

log = logging.getLogger(__name__)


@dataclass(kw_only=True, slots=True)
class RunOutput:
    """Everything one run produced, before it is merged into the warehouse."""

    articles: list[CleanArticle] = field(default_factory=list)
    sentences: list[pa.Table] = field(default_factory=list)
    entities: list[pa.Table] = field(default_factory=list)
    quotes: list[pa.Table] = field(default_factory=list)
    sentence_counts: dict[str, int] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # article_id -> where it already is

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
        self.articles += articles
        self.sentences.append(rows.sentences)
        self.entities.append(rows.entities)
        self.quotes.append(rows.quotes)
        self.sentence_counts.update(rows.sentence_counts)


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


def merge(base: storage.Snapshot, run: RunOutput, processed: Sequence[manifest.InputFile],
          replaced: Collection[str], stamp: RunStamp, registry: Registry) -> dict[str, pa.Table]:
    """The detail tables (articles, sentences, entities, quotes, quarantine) and the manifest after merging
    ``run`` into ``base``; ``replaced`` are the inputs whose earlier rows this run's rows replace."""
    old_articles = storage.rows_not_from(base.read("articles"), replaced)
    kept = {str(i) for i in old_articles["article_id"].to_pylist()}
    return {
        "articles": pa.concat_tables([old_articles,
                                      articles_table(run.articles, run.sentence_counts, stamp.at,
                                                     stamp.pipeline_version, registry)]),
        "sentences": _merge_detail(base, "sentences", kept, run.sentences),
        "entities": _merge_detail(base, "entities", kept, run.entities),
        "quotes": _merge_detail(base, "quotes", kept, run.quotes),
        "quarantine": pa.concat_tables([storage.rows_not_from(base.read("quarantine"), replaced),
                                        quarantine_table(run.quarantined, stamp.at)]),
        "inputs": manifest.updated(base.read("inputs"), processed, run.articles, run.quarantined,
                                   stamp.warehouse_version, stamp.at),
    }


def commit(base: storage.Snapshot, version: str, tables: dict[str, pa.Table]) -> storage.Snapshot:
    """Write every table as version ``version`` and make it current, all at once."""
    new = storage.Commit(base, version)
    for name in TABLES:
        new.write(name, tables[name])
    return new.publish()


def _merge_detail(base: storage.Snapshot, name: str, kept: set[str], new: list[pa.Table]) -> pa.Table:
    old = storage.rows_with_ids(base.read(name), "article_id", kept)
    return pa.concat_tables([old, *(t.select(TABLES[name].names).cast(TABLES[name]) for t in new)])


def transient_io_error(_task: object, _task_run: object, state: State[Any]) -> bool:
    """Retry an I/O task after an OS error (a network file system's hiccup), not after one that would repeat."""
    return isinstance(state.result(raise_on_failure=False), OSError)


@task(name="start", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_io_error, cache_policy=NONE)
def start_task(out: str, inputs: list[str]) -> RunStart:
    return start(out, inputs)


@task(name="merge", cache_policy=NONE)
def merge_task(base: storage.Snapshot, run: RunOutput, processed: list[manifest.InputFile], replaced: list[str],
               stamp: RunStamp, registry: Registry) -> dict[str, pa.Table]:
    return merge(base, run, processed, replaced, stamp, registry)


@task(name="commit", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_io_error,
      cache_policy=NONE)
def commit_task(base: storage.Snapshot, version: str, tables: dict[str, pa.Table]) -> storage.Snapshot:
    return commit(base, version, tables)
