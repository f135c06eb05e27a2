"""Article marks that need the whole warehouse: outlet_id (``outlets``: a source's name and domain folded through the
registry), duplicate_of and duplicate_kind (``duplicates``), story_id (``stories``). Outlets and duplicates are
assigned afresh on every run, so a registry that learns an alias, or an article that arrives late, re-keys the
articles it concerns. Duplicates are found from each article's MinHash signature, which is stored with it
(``minhash``): a run computes the signatures of the articles it adds (of all of them with ``--rebuild``).

Stories are clustered a calendar month at a time once the warehouse holds more than ``stories.MAX_BLOCK``
articles, so a run clusters again only the months it touched: months with an article added or removed, or whose
articles' outlets the registry now folds otherwise. The other months keep their story ids, which are what a
rebuild would give them (``--rebuild`` clusters every month)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from tasks.aggregate import duplicates, stories
from tasks.aggregate.months import Months
from tasks.aggregate.outlets import UNKNOWN_OUTLET, Registry
from tasks.memory import give_back_memory
from tasks.schemas import STAGED, completed
from tasks.warehouse import partitions

if TYPE_CHECKING:
    from tasks.warehouse import Merged

ARTICLE_MARKS = ["article_id", "title", "text", "content_hash", "source_outlet", "source_domain", "published_at",
                 "ingested_at", "minhash"]
FINGERPRINTED = ["article_id", "content_hash", "published_at", "ingested_at", "minhash"]  # a fingerprint, stored
STORED_MARKS = ["article_id", "published_at", "source_outlet", "source_domain", "outlet_id", "duplicate_of",
                "duplicate_kind", "story_id", "minhash"]  # what a stored article's marks come from, then the marks
Month = tuple[int, int]


def write_articles(merged: Merged, registry: Registry, rebuild: bool = False) -> None:
    """The articles with outlet, duplicate and story marks over the whole warehouse (stories of the months the run
    touched, or of every month with ``rebuild``), written again in the months where a mark changed."""
    touched, carried = story_months(merged, registry, rebuild)
    marks = article_marks(merged, registry, touched, stored=not rebuild)
    marks.stories.update(carried)
    give_back_memory()
    written = remarked_months(merged, registry, marks, touched)
    with merged.commit.writer("articles") as articles:
        articles.write_all(with_marks(batch, registry, marks) for batch in merged.batches(
            "articles", [*STAGED["articles"].names, "minhash"], months=written))


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


@dataclass(frozen=True, slots=True)
class Marks:
    copies: dict[str, tuple[str, str]]  # article_id -> (original, kind) of every copy
    stories: dict[str, str]  # article_id -> story_id of the articles clustered
    signatures: dict[str, bytes | None]  # article_id -> minhash of the articles fingerprinted from their text


def article_marks(merged: Merged, registry: Registry, months: Collection[Month] | None,
                  stored: bool = True) -> Marks:
    """Copies over all articles, and stories over those of ``months`` (None: all), read a batch at a time: each
    article is kept as its fingerprint (its ``minhash`` when it has one and ``stored``, else one made from its
    text), and as the opening its story clustering reads when its month is clustered. Texts are read in those
    months only, and in the months of an article stored without a signature."""
    prints: list[duplicates.Fingerprint] = []
    leads: list[stories.StoryDoc] = []
    signatures: dict[str, bytes | None] = {}
    folders = _folders(merged)
    clustered = None if months is None or not stored or folders is None else {month_folder(m) for m in months}
    if clustered is not None and folders is not None:  # first the other months' stored signatures, without texts
        needed = set(clustered)
        for batch in merged.batches("articles", FINGERPRINTED, months=folders - clustered, run=False):
            for a, h, p, i, m, folder in zip(*batch.to_pydict().values(), _folder_of(batch), strict=True):
                if m is None:
                    needed.add(folder)
                else:
                    prints.append(duplicates.fingerprint(duplicates.Doc(a, "", h, p, i), m))
    for batch in merged.batches("articles", ARTICLE_MARKS, months=None if clustered is None else needed):
        for a, t, x, h, name, domain, p, i, m in zip(*batch.to_pydict().values(), strict=True):
            lead = months is None or stories.month_of(p) in months
            if clustered is not None and not lead and m is not None:
                continue  # fingerprinted above
            prints.append(duplicates.fingerprint(duplicates.Doc(a, x, h, p, i), m if stored else None))
            if m is None or not stored:
                signatures[a] = duplicates.signature_bytes(prints[-1].signature)
            if lead:
                outlet = registry.outlet_id(name, domain)
                leads.append(stories.StoryDoc(a, t, x[: stories.LEAD_CHARS],
                                              None if outlet == UNKNOWN_OUTLET else outlet, p))
    return Marks(duplicates.find_copies(prints),
                 stories.cluster_stories(leads, by_month=None if months is None else True), signatures)


def remarked_months(merged: Merged, registry: Registry, marks: Marks, touched: Collection[Month] | None) -> Months:
    """The months of articles the run writes: those whose stories it clustered (``touched``) and those holding a
    stored article whose outlet, duplicate mark or signature changes. The other months' parts are carried over as
    they are (None: every month written, nothing carried)."""
    if touched is None or (folders := _folders(merged)) is None:
        return None
    written = {month_folder(m) for m in touched}
    for batch in merged.batches("articles", STORED_MARKS, months=folders - written, run=False):
        for (a, _, name, domain, *stored), folder in zip(zip(*batch.to_pydict().values(), strict=True),
                                                          _folder_of(batch), strict=True):
            now = [registry.outlet_id(name, domain), *marks.copies.get(a, (None, None)), marks.stories[a],
                   marks.signatures.get(a, stored[-1])]
            if now != stored:
                written.add(folder)
    merged.commit.keep("articles", [part for m, parts in merged.base.parts_by_month("articles").items()
                                    if m not in written for part in parts])
    return frozenset(written)


def _folder_of(batch: pa.RecordBatch) -> list[str]:
    """The month folder of each article of ``batch`` (column published_at), as the writer files it."""
    return [str(m) for m in partitions.months(batch.column("published_at")).to_pylist()]


def _folders(merged: Merged) -> set[str] | None:
    """The month folders of the base version's articles; None when a part lies outside them (written before the
    table was partitioned): such a base is read and written whole."""
    folders = set(merged.base.parts_by_month("articles"))
    return None if None in folders else {str(m) for m in folders}


def month_folder(month: Month) -> str:
    """A story month as its folder name (``partitions``): 'YYYY-MM', or 'undated'."""
    return partitions.UNDATED if month == (0, 0) else f"{month[0]:04d}-{month[1]:02d}"


def with_marks(batch: pa.RecordBatch, registry: Registry, marks: Marks) -> pa.Table:
    """The articles of ``batch`` (staged columns and ``minhash``) with outlet_id, duplicate_of, duplicate_kind,
    story_id and the signatures made this run."""
    ids_ = [str(a) for a in batch.column("article_id").to_pylist()]
    outlets = zip(batch.column("source_outlet").to_pylist(), batch.column("source_domain").to_pylist(), strict=True)
    kept = batch.column("minhash").to_pylist()
    copies, signatures = marks.copies, marks.signatures
    return completed(batch, "articles", {
        "outlet_id": pa.array([registry.outlet_id(name, domain) for name, domain in outlets], pa.string()),
        "duplicate_of": pa.array([copies[a][0] if a in copies else None for a in ids_], pa.string()),
        "duplicate_kind": pa.array([copies[a][1] if a in copies else None for a in ids_], pa.string()),
        "story_id": pa.array([marks.stories[a] for a in ids_], pa.string()),
        "minhash": pa.array([signatures.get(a, m) for a, m in zip(ids_, kept, strict=True)], pa.binary()),
    })
