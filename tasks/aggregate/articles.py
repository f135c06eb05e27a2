"""Article marks over the whole warehouse: duplicate_of and duplicate_kind (``duplicates``), story_id (``stories``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyarrow as pa

from tasks.aggregate import duplicates, stories
from tasks.aggregate.outlets import UNKNOWN_OUTLET
from tasks.memory import give_back_memory

if TYPE_CHECKING:
    from tasks.warehouse import Merged

ARTICLE_MARKS = ["article_id", "title", "text", "content_hash", "outlet_id", "published_at", "ingested_at"]


def write_articles(merged: Merged) -> None:
    """The articles with duplicate and story marks over the whole warehouse."""
    copies, assigned = article_marks(merged.batches("articles", ARTICLE_MARKS))
    give_back_memory()
    with merged.commit.writer("articles") as articles:
        articles.write_all(with_marks(batch, copies, assigned) for batch in merged.batches("articles"))


def article_marks(batches: Iterable[pa.RecordBatch]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Copies (article_id → (original, kind)) and stories (article_id → story_id) over all articles, read a
    batch at a time: each article is kept as its fingerprint and the opening its story clustering reads."""
    prints: list[duplicates.Fingerprint] = []
    leads: list[stories.StoryDoc] = []
    for batch in batches:
        for a, t, x, h, o, p, i in zip(*batch.to_pydict().values(), strict=True):
            prints.append(duplicates.fingerprint(duplicates.Doc(a, x, h, p, i)))
            leads.append(stories.StoryDoc(a, t, x[: stories.LEAD_CHARS], None if o == UNKNOWN_OUTLET else o, p))
    return duplicates.find_copies(prints), stories.cluster_stories(leads)


def with_marks(batch: pa.RecordBatch, copies: dict[str, tuple[str, str]], assigned: dict[str, str]) -> pa.Table:
    """Articles with duplicate_of, duplicate_kind and story_id set."""
    table = pa.table(batch)
    ids_ = [str(a) for a in table["article_id"].to_pylist()]
    values: dict[str, list[str | None]] = {
        "duplicate_of": [copies[a][0] if a in copies else None for a in ids_],
        "duplicate_kind": [copies[a][1] if a in copies else None for a in ids_],
        "story_id": [assigned[a] for a in ids_],
    }
    for name, column in values.items():
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(column, pa.string()))
    return table
