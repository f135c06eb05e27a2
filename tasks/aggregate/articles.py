"""Article marks that need the whole warehouse: outlet_id (``outlets``: a source's name and domain folded through the
registry), duplicate_of and duplicate_kind (``duplicates``), story_id (``stories``). Outlets and duplicates are
assigned afresh on every run, so a registry that learns an alias, or an article that arrives late, re-keys the
articles it concerns.

Stories are clustered a calendar month at a time once the warehouse holds more than ``stories.MAX_BLOCK``
articles, so a run clusters again only the months it touched: months with an article added or removed, or whose
articles' outlets the registry now folds otherwise. The other months keep their story ids, which are what a
rebuild would give them (``--rebuild`` clusters every month)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

import pyarrow as pa

from tasks.aggregate import duplicates, stories
from tasks.aggregate.outlets import UNKNOWN_OUTLET, Registry
from tasks.memory import give_back_memory
from tasks.schemas import completed

if TYPE_CHECKING:
    from tasks.warehouse import Merged

ARTICLE_MARKS = ["article_id", "title", "text", "content_hash", "source_outlet", "source_domain", "published_at",
                 "ingested_at"]
Month = tuple[int, int]


def write_articles(merged: Merged, registry: Registry, rebuild: bool = False) -> None:
    """The articles with outlet, duplicate and story marks over the whole warehouse (stories of the months the run
    touched, or of every month with ``rebuild``)."""
    touched, carried = story_months(merged, registry, rebuild)
    copies, assigned = article_marks(merged.batches("articles", ARTICLE_MARKS), registry, touched)
    assigned.update(carried)
    give_back_memory()
    with merged.commit.writer("articles") as articles:
        articles.write_all(with_marks(batch, registry, copies, assigned) for batch in merged.batches("articles"))


def story_months(merged: Merged, registry: Registry, rebuild: bool) -> tuple[Collection[Month] | None, dict[str, str]]:
    """The months whose stories this run clusters (None: all of them) and the story ids the other months' articles
    keep, from the base version's articles (their text is not read here)."""
    if rebuild:
        return None, {}
    base: dict[str, tuple[Month, str]] = {}  # article_id -> (month, story_id) of the base's articles that stay
    touched: set[Month] = set()
    removed = 0
    for batch in merged.base.batches("articles", ["article_id", "source_outlet", "source_domain", "published_at",
                                                  "outlet_id", "story_id"]):
        for a, name, domain, published, outlet, story in zip(*batch.to_pydict().values(), strict=True):
            month = stories.month_of(published)
            if merged.kept is not None and a not in merged.kept:
                touched.add(month)
                removed += 1
            else:
                base[a] = (month, story)
                if registry.outlet_id(name, domain) != outlet:  # stories hold one article per outlet
                    touched.add(month)
    added = [stories.month_of(p) for batch in merged.commit.staged("articles", ["published_at"])
             for p in batch.column("published_at").to_pylist()]
    touched.update(added)
    if min(len(base) + removed, len(base) + len(added)) <= stories.MAX_BLOCK:
        return None, {}  # the base or the new version is clustered as one block, not month by month
    return touched, {a: story for a, (month, story) in base.items() if month not in touched}


def article_marks(batches: Iterable[pa.RecordBatch], registry: Registry,
                  months: Collection[Month] | None) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Copies (article_id → (original, kind)) over all articles (batches of ``ARTICLE_MARKS``), and stories
    (article_id → story_id) over those of ``months`` (None: all), read a batch at a time: each article is kept as
    its fingerprint, and as the opening its story clustering reads when its month is clustered."""
    prints: list[duplicates.Fingerprint] = []
    leads: list[stories.StoryDoc] = []
    for batch in batches:
        for a, t, x, h, name, domain, p, i in zip(*batch.to_pydict().values(), strict=True):
            prints.append(duplicates.fingerprint(duplicates.Doc(a, x, h, p, i)))
            if months is None or stories.month_of(p) in months:
                outlet = registry.outlet_id(name, domain)
                leads.append(stories.StoryDoc(a, t, x[: stories.LEAD_CHARS],
                                              None if outlet == UNKNOWN_OUTLET else outlet, p))
    return duplicates.find_copies(prints), stories.cluster_stories(leads, by_month=None if months is None else True)


def with_marks(batch: pa.RecordBatch, registry: Registry, copies: dict[str, tuple[str, str]],
               assigned: dict[str, str]) -> pa.Table:
    """The articles of ``batch`` with outlet_id, duplicate_of, duplicate_kind and story_id."""
    ids_ = [str(a) for a in batch.column("article_id").to_pylist()]
    outlets = zip(batch.column("source_outlet").to_pylist(), batch.column("source_domain").to_pylist(), strict=True)
    return completed(batch, "articles", {
        "outlet_id": pa.array([registry.outlet_id(name, domain) for name, domain in outlets], pa.string()),
        "duplicate_of": pa.array([copies[a][0] if a in copies else None for a in ids_], pa.string()),
        "duplicate_kind": pa.array([copies[a][1] if a in copies else None for a in ids_], pa.string()),
        "story_id": pa.array([assigned[a] for a in ids_], pa.string()),
    })
