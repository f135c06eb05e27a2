"""The name index (table ``entity_names``): each spelling of each name the warehouse's mentions carry, by the label
the NLP stage gave it, with how often it is mentioned, how often as a "person" right after "on" or "via", and the
entity it resolves to.

Entity resolution needs those counts over the whole warehouse (``entities.resolution``, ``labels.vote``), and they
add up over mentions. So a run takes the committed version's index, takes away the counts of the articles it
replaces and adds those of its own articles, instead of counting every stored mention again; the entities the names
resolved to are the earlier ids ``entity_ids`` keeps. A rebuild, or a warehouse written before the index, counts
every mention (``Counted``: the same counts either way). The acronym rule's evidence (articles mentioning an acronym
and a name it may stand for) adds up over articles as well, and is kept beside it (``acronym_evidence``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import duckdb
import pyarrow as pa

from tasks.aggregate import sql
from tasks.aggregate.identity import NAMED
from tasks.names import NAME_LABELS
from tasks.schemas import ACRONYM_EVIDENCE, ARTICLES, ENTITY_NAMES
from tasks.warehouse.snapshot import Snapshot, scan

K = TypeVar("K")
NameKey = tuple[str, str]  # (label family, name key)
EARLIER_COLUMNS = ["label", "name_key", "entity_id", "canonical_name"]
NameCounts = Counter[tuple[str, str, str]]  # (label, name key, spelling) -> mentions
Resolution = dict[tuple[str, str], tuple[str, str]]  # (label, name key) -> (entity_id, canonical_name)
Evidence = Counter[tuple[str, str]]  # the acronym rule's: (acronym key, name key) -> articles mentioning both


def family(label: str) -> str:
    """Named things share one family (their label is the vote of their mentions: the model swaps PERSON and ORG);
    dates, numbers and amounts each keep their own."""
    return NAMED if label in NAME_LABELS else label


@dataclass
class Counted:
    """What the name index holds for a set of mentions: mentions per (label, name key, spelling), and person
    mentions right after "on" or "via" per (name key, spelling)."""

    mentions: NameCounts = field(default_factory=Counter)
    cued: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, other: Counted, sign: int = 1) -> Counted:
        """These counts with ``other``'s added (``sign`` -1: taken away; a name left with none is dropped)."""
        _add(self.mentions, other.mentions, sign)
        _add(self.cued, other.cued, sign)
        return self

    def label_counts(self) -> pa.Table:
        """(label, name_key, n) of the named mentions: the relation ``counts`` of ``labels.vote``."""
        rows: Counter[tuple[str, str]] = Counter()
        for (label, key, _text), n in self.mentions.items():
            if label in NAME_LABELS:
                rows[(label, key)] += n
        return pa.table({"label": [k[0] for k in rows], "name_key": [k[1] for k in rows],
                         "n": pa.array(list(rows.values()), pa.int64())})

    def cues(self) -> pa.Table:
        """(name_key, text, cued, n) of the person mentions: the relation ``cues`` of ``labels.vote``."""
        people = [(key, text, n) for (label, key, text), n in self.mentions.items() if label == "PERSON"]
        return pa.table({"name_key": [p[0] for p in people], "text": [p[1] for p in people],
                         "cued": pa.array([self.cued[(p[0], p[1])] for p in people], pa.int64()),
                         "n": pa.array([p[2] for p in people], pa.int64())})


def _add(mine: Counter[K], theirs: Counter[K], sign: int) -> None:
    for key, n in theirs.items():
        mine[key] += sign * n
        if mine[key] <= 0:
            del mine[key]


def stored(base: Snapshot) -> pa.Table | None:
    """The committed version's index; None when it has none (written before the index, one of its columns or
    ``acronym_evidence``, or holding no name)."""
    if not base.num_rows("entity_names") or not base.parts("acronym_evidence"):
        return None
    index = base.read("entity_names")
    return None if any(index[c].null_count for c in index.column_names) else index


def counted(index: pa.Table) -> Counted:
    found = Counted()
    for label, key, text, n, cued in zip(*(index[c].to_pylist() for c in ("label", "name_key", "text", "mentions",
                                                                            "cued")), strict=True):
        found.mentions[(label, key, text)] += n
        if cued:
            found.cued[(key, text)] += cued
    return found


Prior = tuple[dict[NameKey, Counter[str]], dict[str, str]]  # mentions per earlier id of each name; canonical names


def prior(index: pa.Table) -> Prior:
    """Mentions per earlier entity id of each name (``entity_ids.assign``'s prior) and each earlier entity's
    canonical name (``entities.resolution``'s), from the committed index."""
    held: dict[NameKey, Counter[str]] = defaultdict(Counter)
    for label, key, n, entity_id in zip(*(index[c].to_pylist() for c in ("label", "name_key", "mentions",
                                                                           "entity_id")), strict=True):
        held[(family(label), key)][entity_id] += n
    return held, {str(i): str(n) for i, n in zip(index["entity_id"].to_pylist(), index["canonical_name"].to_pylist(),
                                                   strict=True)}


EARLIER_SQL = """select label, name_key, entity_id, min(canonical_name) as canonical_name, count(*) as mentions
from entities where entity_id <> '' group by all"""


def earlier(con: duckdb.DuckDBPyConnection) -> Prior:
    """``prior`` from the stored mentions (the relation ``entities`` on ``con``), counted by DuckDB, of a warehouse
    written before the index, or rebuilt."""
    held: dict[NameKey, Counter[str]] = defaultdict(Counter)
    named: dict[str, str] = {}
    for batch in sql.stream(con, EARLIER_SQL):
        for label, key, entity_id, name, n in zip(*(batch[c].to_pylist() for c in [*EARLIER_COLUMNS, "mentions"]),
                                                  strict=True):
            held[(family(str(label)), str(key))][entity_id] += n
            named[entity_id] = min(named.get(entity_id, name), name)
    return held, named


def table(counts: Counted, names: Resolution) -> pa.Table:
    """This version's index: one row per (label, name key, spelling), in that order."""
    keys = sorted(counts.mentions)
    return pa.table({
        "label": [k[0] for k in keys], "name_key": [k[1] for k in keys], "text": [k[2] for k in keys],
        "mentions": [counts.mentions[k] for k in keys],
        "cued": [counts.cued[(k[1], k[2])] if k[0] == "PERSON" else 0 for k in keys],
        "entity_id": [names[(k[0], k[1])][0] for k in keys],
        "canonical_name": [names[(k[0], k[1])][1] for k in keys]}, schema=ENTITY_NAMES)


def stored_evidence(base: Snapshot) -> Evidence:
    """The committed version's acronym evidence (``entities.acronym_evidence``): articles per (acronym, name)."""
    table = base.read("acronym_evidence")
    return Counter({(str(a), str(n)): int(k) for a, n, k in zip(
        *(table[c].to_pylist() for c in ("acronym_key", "name_key", "articles")), strict=True)})


def evidence_table(evidence: Evidence) -> pa.Table:
    """This version's acronym evidence, in key order, pairs mentioned together in no article left out."""
    keys = sorted(k for k, n in evidence.items() if n > 0)
    return pa.table({"acronym_key": [k[0] for k in keys], "name_key": [k[1] for k in keys],
                     "articles": [evidence[k] for k in keys]}, schema=ACRONYM_EVIDENCE)


def removed_mentions(base: Snapshot, removed: Collection[str], columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The stored mentions (chosen columns) of the ``removed`` articles."""
    return scan(base.out, "entities", base.parts("entities"), columns, only=removed) if removed else iter(())


def removed_articles(base: Snapshot, removed: Collection[str]) -> pa.Table:
    """(article_id, text) of the ``removed`` stored articles."""
    columns = ["article_id", "text"]
    batches = list(scan(base.out, "articles", base.parts("articles"), columns, only=removed)) if removed else []
    return pa.Table.from_batches(batches, schema=pa.schema([ARTICLES.field(c) for c in columns]))
