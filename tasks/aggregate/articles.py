"""Article marks that need the whole warehouse: outlet_id (``outlets``: a source's name and domain folded through the
registry), duplicate_of and duplicate_kind (``duplicates``), story_id (``stories``). A registry that learns an alias,
or an article that arrives late, re-keys the stored articles it concerns. Duplicates are found from each article's
MinHash signature, which is stored with it (``minhash``): a run computes the signatures of the articles it adds and
looks their copies up among the stored articles (``copies``); ``--rebuild``, or a warehouse with articles stored
without a signature, computes every signature and finds the copies among all articles at once.

Stories are clustered a calendar month at a time once the warehouse holds more than ``stories.MAX_BLOCK``
articles, so a run clusters again only the months it touched: months with an article added or removed, or whose
articles' outlets the registry now folds otherwise. The other months keep their story ids, which are what a
rebuild would give them (``--rebuild`` clusters every month)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from tasks.aggregate import copies, duplicates, months, sql, stories
from tasks.aggregate.months import Months
from tasks.aggregate.outlets import UNKNOWN_OUTLET, Registry
from tasks.memory import give_back_memory
from tasks.schemas import ARTICLES, ASSIGNED_BY_AGGREGATE, completed
from tasks.warehouse import partitions

if TYPE_CHECKING:
    from tasks.warehouse import Merged
    from tasks.warehouse.commit import Commit

ARTICLE_MARKS = ["article_id", "title", "text", "content_hash", "source_outlet", "source_domain", "published_at",
                 "ingested_at", "minhash", "story_id"]
OUTLETS_SQL = "select distinct source_outlet, source_domain, outlet_id, filename from base"
FACTS = ["article_id", "outlet_id", "published_at", "story_id"]  # what stories and places read of each article


@dataclass(frozen=True, slots=True)
class Remarked:
    """The months where a run changed article marks (None: every month, as in a rebuild or a warehouse with articles
    stored without a signature): ``copies``, those holding a stored article whose outlet or duplicate marks changed;
    ``stories``, those whose stories were clustered again; how many ``articles`` the version holds; and the months
    holding each outlet's stored articles (``outlet_months``, read with the outlets' folding: None when unread)."""

    copies: Months
    stories: Months
    articles: int
    outlet_months: Mapping[str, frozenset[str]] | None

    def months_of(self, outlet_ids: Collection[str]) -> Months:
        """The months holding a stored article of ``outlet_ids`` (None: unknown)."""
        if self.outlet_months is None:
            return None
        return frozenset(m for o in outlet_ids for m in self.outlet_months.get(o, ()))


def write_articles(merged: Merged, registry: Registry, touched: Collection[str] | None) -> Remarked:
    """The articles with outlet, duplicate and story marks over the whole warehouse (stories of the months the run
    ``touched``, adding or removing articles there, or of every month when that is None, a rebuild), written again in
    the months where a mark changed, which it returns."""
    outlets_moved, outlet_months = (None, None) if touched is None else _stored_outlets(merged, registry)
    incremental, moved = outlets_moved is not None, outlets_moved or frozenset()
    clustered, held = story_months(merged, touched or (), moved)
    clustered = clustered if incremental else None  # every month: a rebuild, or articles stored unsigned
    marks = article_marks(merged, registry, clustered, incremental)
    give_back_memory()
    remarked = moved | marks.remarked if incremental else None
    written = None if clustered is None or remarked is None else clustered | remarked
    if written is not None:
        merged.commit.keep("articles", [part for m, parts in merged.base.parts_by_month("articles").items()
                                        if m not in written for part in parts])
    with merged.commit.writer("articles") as articles:
        articles.write_all(with_marks(batch, registry, marks) for batch in merged.batches(
            "articles", ARTICLES.names, months=written))
    return Remarked(remarked, clustered, held, outlet_months)


def _stored_outlets(merged: Merged, registry: Registry) -> tuple[Months, dict[str, frozenset[str]] | None]:
    """The months holding a stored article whose outlet the registry now folds otherwise (an alias learnt), and the
    months holding each stored outlet's articles; None, None when a stored article lies outside a month folder or
    has no signature: the run then marks every article afresh, and stores the signatures it lacked."""
    if None in merged.base.parts_by_month("articles"):
        return None, None
    if not merged.base.parts("articles"):
        return frozenset(), {}
    if not copies.all_signed(merged):
        return None, None
    with sql.connect(merged.commit.sql_filesystem, base=copies.stored_articles(merged, filename=True)) as con:
        rows = sql.on_every_core(con).sql(OUTLETS_SQL).fetchall()  # a row per part and outlet
    moved: set[str] = set()
    held: dict[str, set[str]] = {}
    for name, domain, outlet, file in rows:
        if month := months.month_of_part(str(file)):
            held.setdefault(str(outlet), set()).add(month)
            if registry.outlet_id(name, domain) != outlet:
                moved.add(month)
    return frozenset(moved), {outlet: frozenset(found) for outlet, found in held.items()}


def story_months(merged: Merged, touched: Collection[str], moved: Collection[str]) -> tuple[Months, int]:
    """The months whose stories this run clusters: those it ``touched`` (added or removed articles in), and those
    where a stored article's outlet ``moved`` (a story holds one article per outlet); None, every month, when the
    base or the new version is clustered as one block. And how many articles the new version holds."""
    stored = merged.base.num_rows("articles")
    held = stored - len(merged.removed) + sum(batch.num_rows for batch in merged.commit.staged("articles",
                                                                                               ["article_id"]))
    return (frozenset(touched) | frozenset(moved) if stories.month_local(min(stored, held)) else None), held


def facts(commit: Commit, held: Months) -> pa.Table:
    """The ``FACTS`` of the version's articles in the months ``held`` (None: all), read from those months' parts,
    with their ``month``."""
    parts = months.parts_in(commit, "articles", held)
    table = pa.Table.from_batches(list(commit.current_parts("articles", FACTS, parts)),
                                  schema=pa.schema([ARTICLES.field(c) for c in FACTS]))
    return table.append_column("month", partitions.months(table["published_at"]))


@dataclass(frozen=True, slots=True)
class Marks:
    copies: dict[str, tuple[str, str]]  # article_id -> (original, kind) of each copy among ``grouped``
    grouped: frozenset[str] | None  # the articles whose copy marks were found (None: all); the others keep theirs
    stories: dict[str, str]  # article_id -> story_id of the articles clustered; the others keep theirs
    signatures: dict[str, bytes]  # article_id -> minhash of the articles fingerprinted from their text
    remarked: frozenset[str] = frozenset()  # months holding a stored article whose copy marks changed


def article_marks(merged: Merged, registry: Registry, clustered: Months, stored: bool = True) -> Marks:
    """Stories over the articles of the ``clustered`` months (None: all), and copies: found for the run's
    articles among the stored ones (``copies.regroup``), or, unless ``stored``, over every article fingerprinted
    from its text. Texts are read in the clustered months only, and everywhere unless ``stored``."""
    fresh: list[duplicates.Fingerprint] = []
    leads: list[stories.StoryDoc] = []
    signatures: dict[str, bytes] = {}
    for batch in merged.batches("articles", ARTICLE_MARKS, months=clustered if stored else None):
        folders = partitions.months(batch.column("published_at")).to_pylist()
        for (a, t, x, h, name, domain, p, i, m, story), folder in zip(zip(*batch.to_pydict().values(), strict=True),
                                                                folders, strict=True):
            if m is None or not stored:  # the run's own articles (staged without one), or every article
                fresh.append(duplicates.fingerprint(duplicates.Doc(a, x, h, p, i)))
                signatures[a] = duplicates.signature_bytes(fresh[-1].signature)
            if clustered is None or folder in clustered:
                outlet = registry.outlet_id(name, domain)
                leads.append(stories.StoryDoc(a, t, x[: stories.LEAD_CHARS],
                                              None if outlet == UNKNOWN_OUTLET else outlet, p, story))
    found = stories.cluster_stories(leads, by_month=None if clustered is None else True)
    if not stored:
        return Marks(duplicates.find_copies(fresh), None, found, signatures)
    regrouped = copies.regroup(merged, fresh)
    return Marks(regrouped.copies, regrouped.members, found, signatures, regrouped.remarked)


def with_marks(batch: pa.RecordBatch, registry: Registry, marks: Marks) -> pa.Table:
    """The articles of ``batch`` (stored columns; the run's own without the assigned ones) with outlet_id,
    duplicate_of, duplicate_kind, story_id and minhash: found by this run, or as stored."""
    rows = zip(*batch.select(["article_id", "source_outlet", "source_domain", *ASSIGNED_BY_AGGREGATE["articles"]])
               .to_pydict().values(), strict=True)
    assigned: dict[str, list[object]] = {name: [] for name in ASSIGNED_BY_AGGREGATE["articles"]}
    for a, name, domain, _, story, of, kind, minhash in rows:
        if marks.grouped is None or a in marks.grouped:
            of, kind = marks.copies.get(a, (None, None))
        assigned["outlet_id"].append(registry.outlet_id(name, domain))
        assigned["story_id"].append(marks.stories.get(a, story))
        assigned["duplicate_of"].append(of)
        assigned["duplicate_kind"].append(kind)
        assigned["minhash"].append(marks.signatures.get(a, minhash))
    return completed(batch, "articles", {name: pa.array(column, ARTICLES.field(name).type)
                                         for name, column in assigned.items()})
