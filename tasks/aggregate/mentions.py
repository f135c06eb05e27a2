"""The ``entities`` table of a version: every mention with its merged entity id, canonical name and label vote,
the names the model missed in the run's articles (``recall``), the aliases of merged ids, and the name index
(``name_index``) the next run starts from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from itertools import chain
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from tasks.aggregate import entity_ids, labels, months, name_index, recall, sql
from tasks.aggregate.entities import (
    EVIDENCE_COLUMNS,
    acronym_evidence,
    name_counts,
    name_ids,
    resolution,
    staged_reader,
    with_ids,
)
from tasks.aggregate.name_index import Counted, Evidence, Resolution
from tasks.memory import give_back_memory
from tasks.names import NAME_LABELS
from tasks.schemas import ARTICLES, ENTITIES, SENTENCES, STAGED

if TYPE_CHECKING:
    from tasks.warehouse import Merged
    from tasks.warehouse.commit import Commit

CUE_COLUMNS = ["article_id", "char_start", "label", "name_key", "text"]  # also all the names and evidence read
Mentions = Callable[[list[str]], Iterable[pa.RecordBatch]]  # chosen columns -> those of a set of mentions


def write_entities(merged: Merged, touched: Collection[str] | None, published: pa.Table) -> months.Rewrite:
    """The entity mentions with merged ids and canonical names over the whole warehouse, the aliases of ids earlier
    versions used for entities since merged, and the name index. The names are counted from the committed index
    and the run's changes (every stored mention with ``touched`` None, a rebuild, or without an index). The mentions
    of the months ``touched`` and of those where a stored mention's id, name or label changed are written; the other
    months' parts are carried over; labels are voted with those ``published`` (``labels.published``). Returns what
    the other tables write again (``months.Rewrite``)."""
    commit, base = merged.commit, merged.base
    index = None if touched is None else name_index.stored(base)
    run_articles = sql.Parquet(commit.staged_urls("articles"), STAGED["articles"])
    run = _held(commit.staged("entities", _with_labels(CUE_COLUMNS)))
    if index is None:  # every stored mention counted, as if the run added them all
        counts, evidence = _stored_by_month(merged)
        with sql.connect(commit.sql_filesystem,
                         entities=sql.Parquet(commit.urls("entities", base.parts("entities")), ENTITIES)) as con:
            prior = name_index.earlier(con)
    else:
        counts, evidence = name_index.counted(index), name_index.stored_evidence(base)
        gone = merged.removed  # the articles the run replaces: their counts go
        removed = _held(name_index.removed_mentions(base, gone, _with_labels(CUE_COLUMNS)))
        counts.add(_counted(commit, _reader(removed), name_index.removed_articles(base, gone)), sign=-1)
        evidence -= _evidence_of(removed.select(EVIDENCE_COLUMNS).to_batches())
        prior = name_index.prior(index)
    counts.add(_counted(commit, _reader(run), run_articles))
    found = _recalled(commit, recall.known_names(counts.mentions), touched)
    counts.add(_counted(commit, _reader(found), run_articles))
    # the run's own articles' evidence, their recalled mentions with them: an acronym the model missed still stands by
    # its name
    evidence += _evidence_of([*run.select(EVIDENCE_COLUMNS).to_batches(), *found.select(EVIDENCE_COLUMNS).to_batches()])
    names, aliases = resolution(counts.mentions, evidence, *prior)
    del prior
    give_back_memory()
    commit.write("entity_aliases", entity_ids.carried_aliases(base.read("entity_aliases"), aliases,
                                                              {entity_id for entity_id, _ in names.values()}))
    voted = _vote(counts, names, published)
    commit.write("entity_names", name_index.table(counts, names))
    commit.write("acronym_evidence", name_index.evidence_table(evidence))
    del counts
    rewrite = None if touched is None else months.reassigned(merged, names, voted, touched, index)
    written = months.carry(merged, "entities", None if rewrite is None or touched is None
                           else {*touched, *rewrite.changed})
    with commit.writer("entities") as mentions:
        mentions.write_all(with_ids(batch, names, voted)
                           for batch in chain(own_labels(merged, months=written), found.to_batches()))
    del names
    give_back_memory()
    return months.Rewrite(None, None, None, {}, {}) if rewrite is None or written is None else rewrite


def _stored_by_month(merged: Merged) -> tuple[Counted, Evidence]:
    """The name index's counts and the acronym evidence of every stored mention, a month at a time, with that
    month's articles (queries over the whole warehouse at once outgrow DuckDB's memory: the "on"/"via" cue reads
    each person mention's article text, the acronym evidence joins mentions by article); all at once where a part
    lies outside any month folder."""
    commit, counts, evidence = merged.commit, Counted(), Evidence()
    stored = merged.base.parts_by_month("entities")
    texts = commit.parts_by_month("articles")
    for month in [None] if None in stored else stored:
        mentions = _stored_in(merged, month)
        month_counts = _counted(commit, mentions, sql.Parquet(
            commit.urls("articles", None if month is None else texts.get(month, [])), ARTICLES))
        counts.add(month_counts)
        evidence.update(acronym_evidence(mentions(EVIDENCE_COLUMNS), {
            key for label, key, _ in month_counts.mentions if label in NAME_LABELS}))
    return counts, evidence


def _stored_in(merged: Merged, month: str | None) -> Mentions:
    """The stored mentions of ``month`` (None: all) with their own labels."""
    months = None if month is None else {month}
    return lambda columns: _own(merged.batches("entities", _with_labels(columns), months, run=False), columns)


def own_labels(merged: Merged, columns: list[str] | None = None,
               months: Collection[str] | None = None) -> Iterator[pa.RecordBatch]:
    """The warehouse's mentions (chosen columns; the stored ones of ``months`` only, if given) with ``label`` the
    one the NLP stage gave each, not the vote an earlier version wrote there: the vote and the merge rules count the
    mentions' own labels, so the tables do not depend on the order in which the articles came (a warehouse written
    before ``nlp_label`` has only its vote)."""
    names = columns or STAGED["entities"].names
    return _own(merged.batches("entities", _with_labels(names), months), names)


def _with_labels(columns: list[str]) -> list[str]:
    return list(dict.fromkeys([*columns, "label", "nlp_label"]))


def _own(batches: Iterable[pa.RecordBatch], names: list[str]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        own = pc.coalesce(batch["nlp_label"], batch["label"])
        yield pa.RecordBatch.from_arrays([own if c in ("label", "nlp_label") else batch[c] for c in names],
                                         names=names)


def _held(batches: Iterable[pa.RecordBatch]) -> pa.Table:
    """A small set of mentions (the run's, or the replaced articles') with their own labels, read once for every
    count taken of it (``CUE_COLUMNS``)."""
    own = list(_own(batches, CUE_COLUMNS))
    return pa.Table.from_batches(own) if own else pa.schema([STAGED["entities"].field(c) for c in CUE_COLUMNS]
                                                            ).empty_table()


def _reader(mentions: pa.Table) -> Mentions:
    return lambda columns: mentions.select(columns).to_batches()


def _counted(commit: Commit, mentions: Mentions, articles: sql.Parquet | pa.Table) -> Counted:
    """The name index's counts of a set of mentions (read twice: once per figure) and their articles' text."""
    counts = name_counts(mentions(["label", "name_key", "text"]))
    with sql.connect(commit.sql_filesystem, mentions=staged_reader(mentions(CUE_COLUMNS), CUE_COLUMNS),
                     articles=articles) as con:
        cues = labels.cue_counts(con)
    cued = Counter({(k, t): c for k, t, c in zip(*(cues[c].to_pylist() for c in ("name_key", "text", "cued")),
                                               strict=True) if c})
    return Counted(counts, cued)


def _evidence_of(batches: list[pa.RecordBatch]) -> Evidence:
    return acronym_evidence(batches, {str(key) for batch in batches for key in batch.column("name_key").to_pylist()})


def _vote(counts: Counted, names: Resolution, published: pa.Table) -> dict[str, str]:
    """Each named entity's label (``labels.vote``) from the name index's counts and the labels ``published``."""
    with sql.connect(counts=counts.label_counts(), cues=counts.cues(), ids=name_ids(names)) as con:
        return labels.vote(con, published)


def _recalled(commit: Commit, known: Mapping[str, str], touched: Collection[str] | None) -> pa.Table:
    """The mentions of ``known`` names the model missed in the run's articles, whose sentences lie in the months the
    run ``touched`` (None: read them all)."""
    held = months.parts_in(commit, "sentences", None if touched is None else frozenset(touched))
    sentences = commit.urls("sentences", held)
    with sql.connect(commit.sql_filesystem, sentences=sql.Parquet(sentences, SENTENCES),
                     entities=sql.Parquet(commit.staged_urls("entities"), STAGED["entities"])) as con:
        return recall.recalled_mentions(commit.staged("articles", ["article_id", "text"]), con, known)
