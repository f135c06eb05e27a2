"""Commit a run into the warehouse: merge it with what is there, then write every table.

Merge rule: rows that came from an input file this run read again are replaced by this run's rows (so a
re-run adds nothing and a changed input replaces its old rows); rows from other inputs stay. An article whose
id is already in the warehouse from another input is not added twice: it is quarantined as ``duplicate``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
from prefect import task
from prefect.cache_policies import NONE

from tasks import aggregate, ids, storage
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
    seen: set[str] = field(default_factory=set)  # article_ids already in this run

    def take_new(self, articles: Sequence[CleanArticle]) -> list[CleanArticle]:
        """The articles this run has not seen yet; a repeat is quarantined as ``duplicate``."""
        new = []
        for article in articles:
            if article.article_id in self.seen:
                self.quarantined.append(Quarantined(source_uri=article.source_uri, reason="duplicate",
                                                    detail=f"article {article.article_id} occurs earlier in this run"))
            else:
                self.seen.add(article.article_id)
                new.append(article)
        return new

    def add(self, articles: Sequence[CleanArticle], rows: NlpRows) -> None:
        self.articles += articles
        self.sentences.append(rows.sentences)
        self.entities.append(rows.entities)
        self.quotes.append(rows.quotes)
        self.sentence_counts.update(rows.sentence_counts)


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


def merge(out: Path, run: RunOutput, read_files: Collection[str], now: datetime, version: str,
          registry: Registry) -> dict[str, pa.Table]:
    """The detail tables (articles, sentences, entities, quarantine) after merging ``run`` into the warehouse."""
    old_articles = storage.rows_not_from(storage.read_table(out, "articles"), read_files)
    kept_old = {str(i) for i in old_articles["article_id"].to_pylist()}
    fresh = [a for a in run.articles if a.article_id not in kept_old]
    quarantined = list(run.quarantined) + [
        Quarantined(source_uri=a.source_uri, reason="duplicate",
                    detail=f"article {a.article_id} is already in the warehouse from another input")
        for a in run.articles if a.article_id in kept_old
    ]
    fresh_ids = {a.article_id for a in fresh}
    return {
        "articles": pa.concat_tables([old_articles,
                                      articles_table(fresh, run.sentence_counts, now, version, registry)]),
        "sentences": _merge_detail(out, "sentences", kept_old, run.sentences, fresh_ids),
        "entities": _merge_detail(out, "entities", kept_old, run.entities, fresh_ids),
        "quotes": _merge_detail(out, "quotes", kept_old, run.quotes, fresh_ids),
        "quarantine": pa.concat_tables([storage.rows_not_from(storage.read_table(out, "quarantine"), read_files),
                                        quarantine_table(quarantined, now)]),
    }


def write_all(out: Path, tables: dict[str, pa.Table]) -> dict[str, int]:
    """Write every table and the DuckDB file of views over them; returns rows per table."""
    for name in TABLES:
        storage.write_table(out, name, tables[name])
    storage.publish_duckdb(out, TABLES)
    return {name: tables[name].num_rows for name in TABLES}


def _merge_detail(out: Path, name: str, kept_old: set[str], new: list[pa.Table], fresh_ids: set[str]) -> pa.Table:
    old = storage.rows_with_ids(storage.read_table(out, name), "article_id", kept_old)
    added = pa.concat_tables([TABLES[name].empty_table(), *new])
    return pa.concat_tables([old, storage.rows_with_ids(added, "article_id", fresh_ids)])


@task(name="merge", cache_policy=NONE)
def merge_task(out: Path, run: RunOutput, read_files: list[str], now: datetime, version: str,
               registry: Registry) -> dict[str, pa.Table]:
    return merge(out, run, read_files, now, version, registry)


@task(name="write", retries=3, retry_delay_seconds=[2, 5, 15], cache_policy=NONE)
def write_task(out: Path, tables: dict[str, pa.Table]) -> dict[str, int]:
    return write_all(out, tables)
