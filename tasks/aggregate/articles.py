"""Article marks that need the whole warehouse: outlet_id (``outlets``: a source's name and domain folded through the
registry), duplicate_of and duplicate_kind (``duplicates``), story_id (``stories``). They are assigned afresh on
every run, so a registry that learns an alias, or an article that arrives late, re-keys the articles it concerns."""

from __future__ import annotations

from collections.abc import Iterable
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


def write_articles(merged: Merged, registry: Registry) -> None:
    """The articles with outlet, duplicate and story marks over the whole warehouse."""
    copies, assigned = article_marks(merged.batches("articles", ARTICLE_MARKS), registry)
    give_back_memory()
    with merged.commit.writer("articles") as articles:
        articles.write_all(with_marks(batch, registry, copies, assigned) for batch in merged.batches("articles"))


def article_marks(batches: Iterable[pa.RecordBatch],
                  registry: Registry) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Copies (article_id → (original, kind)) and stories (article_id → story_id) over all articles, read a
    batch at a time: each article is kept as its fingerprint and the opening its story clustering reads."""
    prints: list[duplicates.Fingerprint] = []
    leads: list[stories.StoryDoc] = []
    for batch in batches:
        for a, t, x, h, name, domain, p, i in zip(*batch.to_pydict().values(), strict=True):
            prints.append(duplicates.fingerprint(duplicates.Doc(a, x, h, p, i)))
            outlet = registry.outlet_id(name, domain)
            leads.append(stories.StoryDoc(a, t, x[: stories.LEAD_CHARS], None if outlet == UNKNOWN_OUTLET else outlet,
                                          p))
    return duplicates.find_copies(prints), stories.cluster_stories(leads)


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
