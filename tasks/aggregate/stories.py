"""Stories: articles about the same event, from different outlets, grouped within a time window.

Each article is a TF-IDF vector of its title (counted twice) and the opening of its body, names and numbers
weighted up; clusters grow by average-link agglomeration while the average cosine similarity between two
clusters stays above ``threshold``. Never joined: two articles more than ``window_days`` apart (when both are
dated), two of the same outlet (a story is the coverage of one event across outlets), and two whose openings
each name three or more people or places and share none (two earthquakes, two injured players: the hard
negatives of event clustering). The similarity matrix is dense numpy, so up to MAX_BLOCK articles are
clustered at once and, past that, a calendar month at a time (a story then does not cross a month boundary), a
month with more in date order, MAX_BLOCK at a time: memory stays the same however large the warehouse grows.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from tasks import ids
from tasks.aggregate import months
from tasks.aggregate.months import Facts, Months, parts_in
from tasks.aggregate.outlets import mean_tone
from tasks.schemas import ARTICLES, STORIES
from tasks.warehouse.commit import Commit
from tasks.warehouse.parts import PartWriter
from tasks.warehouse.snapshot import Snapshot

if TYPE_CHECKING:
    from tasks.warehouse import Merged

THRESHOLD = 0.16  # the best mean pairwise F1 over the two story corpora's development parts (bench.stories --sweep)
WINDOW_DAYS = 4
MAX_BLOCK = 2000  # articles clustered at once: the similarity matrix is MAX_BLOCK² floats (32 MB)
LEAD_CHARS = 1500
SALIENT_CHARS = 300
MIN_NAMES = 3  # the body's opening, where a story names its event
_TOKEN = re.compile(r"[a-z0-9]+")
_CALENDAR = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december",
})
_NAME = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]{2,}")
_NAME_OR_NUMBER = re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+|\b\d+(?:\.\d+)?\b")
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had", "has", "have", "he",
    "her", "his", "i", "in", "is", "it", "its", "of", "on", "or", "said", "says", "she", "that", "the", "their",
    "they", "this", "to", "was", "were", "which", "who", "will", "with", "would", "not", "no", "after", "over",
    "than", "more", "about", "into", "also", "s", "t", "we", "you", "our", "us", "new", "one", "two",
})


@dataclass(frozen=True, slots=True)
class StoryDoc:
    article_id: str
    title: str | None
    text: str
    outlet_id: str | None = None
    published_at: datetime | None = None
    story_id: str | None = None  # the story it was published in, if any


def month_local(articles: int) -> bool:
    """Whether stories over this many articles are clustered a calendar month at a time (``cluster_stories``): a
    story's articles, and so everything counted per story, then lie in one month."""
    return articles > MAX_BLOCK


def cluster_stories(docs: Sequence[StoryDoc], threshold: float = THRESHOLD, window_days: int = WINDOW_DAYS,
                    one_per_outlet: bool = True, by_month: bool | None = None) -> dict[str, str]:
    """article_id → story_id (``published_ids``). Up to ``MAX_BLOCK`` articles are clustered together; more (or
    any number, ``by_month``: the articles of some months of a larger warehouse) are split by calendar month
    (undated ones apart), and a month with more than ``MAX_BLOCK`` into consecutive runs of its articles in date
    order."""
    by_month = month_local(len(docs)) if by_month is None else by_month
    blocks: dict[tuple[int, int], list[StoryDoc]] = {}
    for doc in docs:
        blocks.setdefault(month_of(doc.published_at) if by_month else (0, 0), []).append(doc)
    groups: list[list[StoryDoc]] = []
    for block in blocks.values():
        if len(block) > MAX_BLOCK:
            block.sort(key=lambda d: ids.first_order(d.published_at, d.article_id)[1:])  # in a month: all dated
        for start in range(0, len(block), MAX_BLOCK):
            groups += _cluster_block(block[start : start + MAX_BLOCK], threshold, window_days, one_per_outlet)
    return published_ids(groups)


def published_ids(groups: list[list[StoryDoc]]) -> dict[str, str]:
    """article_id → story_id: a story's id never changes once published, so a group takes the published id most of
    its articles carry (coverage joining it, even earlier coverage, keeps it), unless a group holding more of them
    took it first (a story split in two); else an id made from its earliest article, so a rebuild, which clusters
    with the ids the warehouse holds, gives each story the id it has. The same groups give the same ids in any
    order."""
    def earliest(group: list[StoryDoc]) -> tuple[bool, float, str]:
        return min(ids.first_order(d.published_at, d.article_id) for d in group)

    votes = [Counter(d.story_id for d in group if d.story_id) for group in groups]
    order = sorted(range(len(groups)), key=lambda g: (-max(votes[g].values(), default=0), earliest(groups[g])))
    taken: set[str] = set()
    stories: dict[str, str] = {}
    for g in order:
        first = earliest(groups[g])[-1]
        made = (ids.story_id(first if n == 0 else f"{first}#{n}") for n in itertools.count())
        story = next((s for s, _ in sorted(votes[g].items(), key=lambda v: (-v[1], v[0])) if s not in taken),
                     None) or next(s for s in made if s not in taken)
        taken.add(story)
        stories.update({d.article_id: story for d in groups[g]})
    return stories


def month_of(published_at: datetime | None) -> tuple[int, int]:
    """The calendar month a story is clustered in, (0, 0) for an undated article."""
    return (published_at.year, published_at.month) if published_at else (0, 0)


def _cluster_block(docs: Sequence[StoryDoc], threshold: float, window_days: int,
                   one_per_outlet: bool) -> list[list[StoryDoc]]:
    sim = _similarities(docs)
    _apply_constraints(sim, docs, window_days, one_per_outlet)
    return [[docs[i] for i in group] for group in _average_link(sim, threshold)]


def _similarities(docs: Sequence[StoryDoc]) -> np.ndarray:
    bags = [_bag(d) for d in docs]
    df = Counter(t for bag in bags for t in bag)
    vocab = {t: i for i, t in enumerate(sorted(t for t, n in df.items() if n >= 1))}
    n = len(docs)
    cells = [(row, vocab[token], (1 + math.log(count)) * (math.log((1 + n) / (1 + df[token])) + 1))
             for row, bag in enumerate(bags) for token, count in bag.items()]
    rows, columns, weights = zip(*cells, strict=True) if cells else ((), (), ())
    matrix = sparse.csr_array((np.array(weights, dtype=np.float32), (rows, columns)), shape=(n, len(vocab)))
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1))
    matrix = sparse.diags_array(1 / np.where(norms == 0, 1, norms)) @ matrix
    sim = (matrix @ matrix.T).toarray().astype(np.float32)  # sparse: memory is the words, not articles × vocabulary
    np.fill_diagonal(sim, 0.0)
    return sim


def _bag(doc: StoryDoc) -> Counter[str]:
    """Title twice, body once; names (capitalised words) and numbers count double: they tell events apart."""
    text = f"{doc.title or ''} {doc.title or ''} {doc.text[:LEAD_CHARS]}"
    bag = Counter(t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1)
    bag.update(t.lower() for t in _NAME_OR_NUMBER.findall(text) if t.lower() not in STOPWORDS)
    return bag


def _salient_names(doc: StoryDoc) -> set[str]:
    """Capitalised words in the headline and the opening of the body: who and where the story is about."""
    lead = f"{doc.title or ''} {doc.text[:SALIENT_CHARS]}"
    return {w.lower() for w in _NAME.findall(lead) if w.lower() not in STOPWORDS and w.lower() not in _CALENDAR}


def _apply_constraints(sim: np.ndarray, docs: Sequence[StoryDoc], window_days: int, one_per_outlet: bool) -> None:
    """Set -inf where two articles may never join: too far apart, same outlet, or openings naming strangers."""
    stamps = np.array([d.published_at.timestamp() if d.published_at else np.nan for d in docs])
    forbidden = np.abs(stamps[:, None] - stamps[None, :]) > window_days * 86400  # NaN (undated) compares False
    if one_per_outlet:
        outlets = [d.outlet_id for d in docs]
        codes = {o: k for k, o in enumerate(dict.fromkeys(o for o in outlets if o is not None))}
        outlet_code = np.array([codes[o] if o is not None else -1 - k for k, o in enumerate(outlets)])
        forbidden |= outlet_code[:, None] == outlet_code[None, :]
    names = [_salient_names(d) for d in docs]
    vocab = {w: k for k, w in enumerate(sorted(set().union(*names)))}
    cells = [(row, vocab[w]) for row, doc_names in enumerate(names) for w in doc_names]
    rows, columns = zip(*cells, strict=True) if cells else ((), ())
    incidence = sparse.csr_array((np.ones(len(cells), dtype=np.float32), (rows, columns)),
                                 shape=(len(docs), len(vocab)))
    named = np.asarray(incidence.sum(axis=1)) >= MIN_NAMES
    forbidden |= named[:, None] & named[None, :] & ((incidence @ incidence.T).toarray() == 0)
    np.fill_diagonal(forbidden, False)
    sim[forbidden] = -np.inf


def _average_link(sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Merge the two clusters with the highest average similarity until none reaches ``threshold``; a pair with a
    forbidden link (-inf) never merges. Each row's best partner is cached and a row is rescanned only when its
    partner merged or its link to the merged cluster beats it: O(n²) in all, with one n×n matrix."""
    n = sim.shape[0]
    total = sim.astype(np.float64)  # sum of pairwise similarities between clusters
    size = np.ones(n)
    alive = np.ones(n, dtype=bool)
    groups: list[list[int]] = [[i] for i in range(n)]
    best = np.full(n, -np.inf)  # per row: the highest average link to another live cluster, and to which
    partner = np.zeros(n, dtype=np.intp)

    def rescan(k: int) -> None:
        row = total[k] / (size[k] * size)
        row[~alive] = -np.inf
        row[k] = -np.inf
        partner[k] = np.argmax(row)
        best[k] = row[partner[k]]

    for k in range(n):
        rescan(k)
    while n:
        i = int(np.argmax(best))  # the first row holding the highest link, its first partner: as a full argmax
        j = int(partner[i])
        if best[i] < threshold:
            break
        total[i, :] += total[j, :]
        total[:, i] += total[:, j]
        size[i] += size[j]
        alive[j] = False
        best[j] = -np.inf
        groups[i] += groups[j]
        groups[j] = []
        link = total[:, i] / (size * size[i])  # every cluster's new average link to the merged one
        others = alive.copy()
        others[i] = False
        lost = others & ((partner == i) | (partner == j))  # its best link changed or died: look again
        gained = others & ~lost & ((link > best) | ((link == best) & (i < partner)))
        best[gained] = link[gained]
        partner[gained] = i
        for row in np.flatnonzero(lost):
            rescan(int(row))
        rescan(i)
    return [g for g in groups if g]


def build_stories(articles: pa.Table, outlets: pa.Table, top: dict[str, list[str]]) -> pa.Table:
    """One row per story_id in ``articles``: dates, outlets, counts, a representative title, top entities."""
    names = dict(zip(outlets["outlet_id"].to_pylist(), outlets["name"].to_pylist(), strict=True))
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in articles.select(["story_id", "outlet_id", "published_at", "title", "article_id", "tone"]).to_pylist():
        grouped[str(row["story_id"])].append(row)
    rows = []
    for sid in sorted(grouped):
        arts = sorted(grouped[sid], key=lambda a: ids.first_order(a["published_at"], a["article_id"]))
        dates = [a["published_at"] for a in arts if a["published_at"] is not None]
        outlet_names = sorted({str(names.get(a["outlet_id"]) or a["outlet_id"]) for a in arts})
        rows.append({
            "story_id": sid,
            "title": next((a["title"] for a in arts if a["title"]), None),
            "first_published_at": min(dates) if dates else None,
            "last_published_at": max(dates) if dates else None,
            "article_count": len(arts),
            "outlet_count": len({a["outlet_id"] for a in arts}),
            "outlets": outlet_names,
            "top_entities": top.get(sid, []),
            "mean_tone": mean_tone(arts),
        })
    return pa.Table.from_pylist(rows, schema=STORIES)


STORY_COLUMNS = ["story_id", "outlet_id", "published_at", "title", "article_id", "tone"]


def write_stories(merged: Merged, facts_of: Facts, outlets: pa.Table, recount: Months, top: dict[str, list[str]],
                  by_month: bool) -> None:
    """The stories table: the stories with an article in the months ``recount`` names (None: every month) built
    again (``build_stories``: ``facts_of`` gives the articles' ids, outlets, dates, months and stories, ``top`` those
    stories' top entities; titles and tones are read for those stories' months only, a month at a time when the
    stories are clustered ``by_month``, as each then lies in one); the other months' parts carried as they are (from
    a version written before stories were partitioned: its rows, a batch at a time)."""
    commit = merged.commit
    carried = months.carry(merged, "stories", recount)
    facts = facts_of(carried)  # the months recounted; every article's where stories are carried row by row
    with commit.writer("stories") as out:
        fact_months = facts["month"]
        again = None
        if recount is not None:
            again = pc.unique(facts.filter(pc.is_in(fact_months, pa.array(sorted(recount), pa.string())))["story_id"])
            if carried is None:
                _carry(out, merged.base, facts, again)
            fact_months = fact_months.filter(pc.is_in(facts["story_id"], again))
        held_in = sorted(map(str, pc.unique(fact_months).to_pylist()))
        by = commit.parts_by_month("articles")
        groups = [by.get(month, []) for month in held_in] if by_month and None not in by else [
            None if again is None else parts_in(commit, "articles", frozenset(held_in), outside=True)]
        for parts in groups:
            out.write(build_stories(_articles_of(commit, parts, again), outlets, top))


def _carry(out: PartWriter, base: Snapshot, facts: pa.Table, again: pa.Array | pa.ChunkedArray) -> None:
    """Write the stored stories still held (a story of ``facts``) that are not built ``again``: one mask over the
    stored ids, in the order the batches read them (a lookup per batch built a set of every held story each time)."""
    ids = base.read("stories", ["story_id"])["story_id"]
    carried = pc.and_(pc.is_in(ids, pc.unique(facts["story_id"])), pc.invert(pc.is_in(ids, again)))
    start = 0
    for batch in base.batches("stories"):
        out.write(pa.table(batch).filter(carried.slice(start, batch.num_rows)))
        start += batch.num_rows
    if start != len(ids):  # both read the same parts in turn; a mask out of step would carry the wrong stories
        raise RuntimeError(f"stories: {start} stored rows read in batches, {len(ids)} ids")


def _articles_of(commit: Commit, parts: list[str] | None, stories: pa.Array | pa.ChunkedArray | None) -> pa.Table:
    """The articles (``STORY_COLUMNS``) of the version's ``parts`` (None: all), of ``stories`` only if given."""
    batches = [pa.table(b) for b in commit.current_parts("articles", STORY_COLUMNS, parts)]
    table = pa.concat_tables(batches) if batches else ARTICLES.empty_table().select(STORY_COLUMNS)
    return table if stories is None else table.filter(pc.is_in(table["story_id"], stories))
