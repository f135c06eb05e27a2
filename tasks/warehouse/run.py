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
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from prefect import task
from prefect.cache_policies import NONE
from prefect.states import State

from tasks.records import CleanArticle, NlpRows, Quarantined
from tasks.schemas import ASSIGNED_BY_AGGREGATE, QUARANTINE, STAGED
from tasks.warehouse import manifest, partitions, storage
from tasks.warehouse.commit import Commit
from tasks.warehouse.lookup import ArticleLookup
from tasks.warehouse.parts import PartWriter
from tasks.warehouse.snapshot import scan, wholly_kept

PATH_REASONS = frozenset({"not_found", "not_a_file", "symlink_loop"})  # about a path given to a run, not its data

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
    replaced: list[str]  # inputs whose earlier rows this run's rows replace: new or changed files, and files
    # read again because they hold an article a changed file no longer provides
    stored: ArticleLookup  # article_id -> source_uri of the articles this run does not replace


class RunOutput:
    """What a run has produced so far. Rows go into the version the run will commit as soon as an NLP batch is
    done: sentences as parts of that version, articles, entities and quotes set aside for the aggregate stage,
    which rewrites them; quarantined records as they come. What stays in memory is counts and the ids of the run's
    articles, so a file of a million duplicates costs what its batches cost."""

    QUARANTINE_BATCH = 4096  # quarantined records gathered before they are written as rows

    def __init__(self, commit: Commit | None, stamp: RunStamp | None, files: Collection[str],
                 stored: ArticleLookup) -> None:
        self.commit, self.stamp = commit, stamp
        self.files = frozenset(files)  # the input files this run reads
        self.stored = stored  # article_id -> source_uri of the warehouse's articles the run does not replace
        self.own: set[str] = set()  # the ids of the run's articles
        self.articles = self.sentences = self.entities = 0
        self.languages: Counter[str] = Counter()
        self.per_file: Counter[str] = Counter()  # input file -> articles from it
        self.reasons: Counter[str] = Counter()  # quarantined inputs and records by reason
        self.skipped: Counter[str] = Counter()  # records that are no article (a web archive's redirects), by reason
        self.set_aside_per_file: Counter[str] = Counter()  # input file -> records of it quarantined
        self.retry: set[str] = set()  # input files to try again next run (manifest.RETRY_REASONS)
        self.paths_again: set[str] = set()  # paths given that this run found missing, not a file or a loop
        self._pending: list[Quarantined] = []
        self._writers: dict[str, PartWriter] = {}

    def set_aside(self, items: Iterable[Quarantined]) -> None:
        """Quarantine ``items``: counted now, written as rows of the run's version in batches."""
        for q in items:
            self.reasons[q.reason] += 1
            origin = manifest.input_file(q.source_uri, self.files)
            self.set_aside_per_file[origin] += 1
            if q.reason in manifest.RETRY_REASONS:
                self.retry.add(origin)
            if q.reason in PATH_REASONS:
                self.paths_again.add(q.source_uri)
            if self.commit is not None:
                self._pending.append(q)
        if len(self._pending) >= self.QUARANTINE_BATCH:
            self._write_pending()

    def _write_pending(self) -> None:
        if self.commit is None or self.stamp is None or not self._pending:
            return
        if "quarantine" not in self._writers:
            self._writers["quarantine"] = self.commit.stager("quarantine")
        self._writers["quarantine"].write(quarantine_table(self._pending, self.stamp.at))
        self._pending = []

    def take_new(self, articles: Sequence[CleanArticle]) -> list[CleanArticle]:
        """The articles neither the warehouse nor this run has yet; a repeat is quarantined as ``duplicate``."""
        new = []
        stored = self.stored.get([a.article_id for a in articles]).to_pylist()
        for article, uri in zip(articles, stored, strict=True):
            if uri is not None or article.article_id in self.own:
                where = f"in the warehouse from {uri}" if uri is not None else "earlier in this run"
                self.set_aside([Quarantined(source_uri=article.source_uri, reason="duplicate",
                                            detail=f"article {article.article_id} is already {where}",
                                            article_id=article.article_id)])
            else:
                self.own.add(article.article_id)
                new.append(article)
        return new

    def add(self, articles: Sequence[CleanArticle], rows: NlpRows) -> None:
        if self.commit is None or self.stamp is None:
            raise ValueError("this run reads no input: it has no version to add rows to")
        if "articles" not in self._writers:
            self._writers |= {name: self.commit.stager(name) for name in ASSIGNED_BY_AGGREGATE}
            self._writers["sentences"] = self.commit.writer("sentences")
        table = articles_table(articles, rows, self.stamp.at, self.stamp.pipeline_version)
        self.commit.article_months.add(table["article_id"], partitions.months(table["published_at"]))
        self._writers["articles"].write(table)
        for name, table in (("sentences", rows.sentences), ("entities", rows.entities), ("quotes", rows.quotes)):
            self._writers[name].write(table)
        self.articles += len(articles)
        self.sentences += rows.sentences.num_rows
        self.entities += rows.entities.num_rows
        self.languages.update(a.language or "unknown" for a in articles)
        self.per_file.update(storage.source_file(a.source_uri) for a in articles)

    def close(self) -> None:
        self._write_pending()
        for writer in self._writers.values():
            writer.close()
        self.stored.clear()  # needed no more, and the run's start holds it too


@dataclass(frozen=True, slots=True)
class Merged:
    """A run merged into the version it writes: sentences, quarantine and inputs are final; articles, entities
    and quotes are the kept rows of the base version plus the run's, read batch by batch by the aggregate."""

    base: storage.Snapshot
    commit: Commit
    articles_changed: bool = True  # articles added or replaced: else what is derived from them stays as it is
    removed: frozenset[str] = frozenset()  # articles of the base version that go (replaced by the run's)
    removed_from: frozenset[str] = frozenset()  # the months they were in

    def batches(self, name: str, columns: list[str] | None = None, months: Collection[str] | None = None,
                run: bool = True) -> Iterator[pa.RecordBatch]:
        """The rows of ``name`` (chosen columns; by default those the stages before aggregate write): the base
        version's in ``months`` only, if given, then the run's own rows whatever their month (unless not ``run``)."""
        columns = columns or STAGED[name].names
        parts = self.base.parts(name) if months is None else [
            part for month, parts in self.base.parts_by_month(name).items() if month in months for part in parts]
        yield from scan(self.base.out, name, parts, columns, without=self.removed)
        if run:
            yield from self.commit.staged(name, columns)


def start(out: str, files: Sequence[Path], size_limit: int, reparse: bool = False) -> RunStart:
    """Open the warehouse at ``out`` (a storage.location) for writing (hold its lock) and plan the run over the input
    ``files`` from the manifest; with ``reparse``, the web archives of the raw area are read again, unchanged (what
    gather fetched, cleaned by this version). Inputs that are missing keep their rows (the warehouse is an archive);
    an input that holds, as a duplicate, an article whose file this run reads again is read again too, so the
    article stays while any input still provides it."""
    base = storage.open_for_writing(out)
    plan = manifest.run_plan(base, files, size_limit, reparse)
    known = base.read("inputs", ["source_file"])
    quarantine = base.read("quarantine", ["source_uri", "reason", "article_id"])
    articles = base.read("articles", ["article_id", "source_uri"])
    known_files = {str(f) for f in known["source_file"].to_pylist()}
    replaced = {f.path for f in plan.todo}
    while extra := manifest.providers(articles, quarantine, replaced, known_files):
        plan.todo.extend(manifest.describe(Path(path)) for path in sorted(extra))
        replaced |= extra
        log.info("reading %d unchanged inputs again: they hold articles that changed inputs no longer provide",
                 len(extra))
    return RunStart(base, plan, sorted(replaced), stored_articles(base, replaced, articles))


def stored_articles(base: storage.Snapshot, replaced: Collection[str],
                    articles: pa.Table | None = None) -> ArticleLookup:
    """article_id -> source_uri of the committed articles whose input this run does not replace (``articles``:
    their ids and source_uris, when already read)."""
    rows = base.read("articles", ["article_id", "source_uri"]) if articles is None else articles
    rows = rows.filter(pc.invert(manifest.from_files(rows, replaced, ())))
    return ArticleLookup(rows["article_id"], rows["source_uri"])


def articles_table(articles: Sequence[CleanArticle], nlp: NlpRows, now: datetime, version: str) -> pa.Table:
    """The articles as the run writes them (with what NLP found of each); the aggregate stage adds outlet, story
    and duplicate marks."""
    rows = [{
        "article_id": a.article_id,
        "source_outlet": a.outlet_name,
        "source_domain": a.outlet_domain,
        "url": a.url,
        "canonical_url": a.canonical_url,
        "title": a.title,
        "subtitle": a.subtitle,
        "authors": list(a.authors),
        "published_at": a.published_at,
        "published_from": a.published_from,
        "language": a.language,
        "text": a.text,
        "word_count": a.word_count,
        "sentence_count": nlp.sentence_counts.get(a.article_id, 0),
        "tone": nlp.tones.get(a.article_id, (None, None))[0],
        "gdelt_tone": nlp.tones.get(a.article_id, (None, None))[1],
        "image_credits": list(a.image_credits),
        "section": a.section,
        "tags": list(a.tags),
        "source_uri": a.source_uri,
        "source_id": a.source_id,
        "source_format": a.source_format,
        "source_fields": a.source_fields,
        "content_hash": a.content_hash,
        "ingested_at": now,
        "pipeline_version": version,
    } for a in articles]
    return pa.Table.from_pylist(rows, schema=STAGED["articles"])


def quarantine_table(items: Sequence[Quarantined], now: datetime) -> pa.Table:
    rows = [{"source_uri": q.source_uri, "reason": q.reason, "detail": q.detail, "article_id": q.article_id,
             "ingested_at": now} for q in items]
    return pa.Table.from_pylist(rows, schema=QUARANTINE)


def merge(run: RunOutput, processed: Sequence[manifest.InputFile], replaced: Collection[str],
          size_limit: int) -> Merged:
    """Merge ``run`` into its version; ``replaced`` are the inputs whose earlier rows this run's rows replace.
    A part of the base version's sentences none of whose rows go is carried over as it is (a hard link)."""
    if run.commit is None or run.stamp is None:
        raise ValueError("this run reads no input: it has nothing to merge")
    run.close()
    commit, base = run.commit, run.commit.base
    articles = base.read("articles", ["article_id", "source_uri", "published_at"])
    commit.article_months.hold(articles["article_id"], partitions.months(articles["published_at"]))  # rows' months
    gone = articles.filter(manifest.from_files(articles, replaced, ()))
    removed = frozenset(map(str, gone["article_id"].to_pylist()))
    removed_from = frozenset(map(str, partitions.months(gone["published_at"]).to_pylist()))
    del articles, gone  # a million articles' ids and uris: not held while the sentences are written
    drop, parts = pa.array(sorted(removed), pa.string()), base.parts("sentences")
    changed = [part for part in parts if not wholly_kept(base.out, part, drop)] if removed else []
    commit.keep("sentences", [part for part in parts if part not in changed])
    with commit.writer("sentences") as sentences:
        if changed:  # one scan of them all: the removed ids sorted once, not once per part
            sentences.write_all(storage.scan(base.out, "sentences", changed, without=removed))
    inputs = base.read("inputs")
    with commit.writer("quarantine") as quarantine:
        quarantine.write(kept_quarantine(base.read("quarantine"), run.paths_again, replaced,
                                         [str(f) for f in inputs["source_file"].to_pylist()]))
        quarantine.write_all(commit.staged("quarantine"))
    commit.write("inputs", manifest.updated(inputs, processed, run.per_file, run.set_aside_per_file, run.retry,
                                            run.stamp.warehouse_version, run.stamp.at, size_limit))
    return Merged(base, commit, run.articles > 0 or bool(removed), removed, removed_from)


def kept_quarantine(table: pa.Table, again: Collection[str], replaced: Collection[str],
                    files: Collection[str]) -> pa.Table:
    """The earlier quarantine rows that stay: not from an input this run read again, and no row about a path given
    to a run (missing, not a file, a loop) that this run found so ``again`` (its own row says so) or that is now a
    file or folder."""
    stale_path = [r in PATH_REASONS and (u in again or Path(u).is_file() or Path(u).is_dir())
                  for u, r in zip(map(str, table["source_uri"].to_pylist()), table["reason"].to_pylist(), strict=True)]
    stale = pc.or_(manifest.from_files(table, replaced, files), pa.array(stale_path, pa.bool_()))
    return table.filter(pc.invert(stale))


def transient_io_error(_task: object, _task_run: object, state: State[Any]) -> bool:
    """Retry an I/O task after an OS error (a network file system's hiccup), not after one that would repeat."""
    return isinstance(state.result(raise_on_failure=False), OSError)


@task(name="start", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_io_error, cache_policy=NONE)
def start_task(out: str, files: list[Path], size_limit: int, reparse: bool = False) -> RunStart:
    return start(out, files, size_limit, reparse)


@task(name="merge", cache_policy=NONE)
def merge_task(run: RunOutput, processed: list[manifest.InputFile], replaced: list[str], size_limit: int) -> Merged:
    return merge(run, processed, replaced, size_limit)


@task(name="commit", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=transient_io_error,
      cache_policy=NONE)
def commit_task(commit: Commit) -> storage.Snapshot:
    """Make the version current, all tables at once."""
    return commit.publish()
