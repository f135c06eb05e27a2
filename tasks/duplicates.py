"""Duplicates: exact copies (same content hash) and near-duplicate or syndicated copies (MinHash LSH over word
5-shingles, Jaccard ≥ 0.8). Each copy points at the group's original: the earliest published (dated articles
before undated ones, undated ones by when they were ingested), then the lowest id.

datasketch's MinHash LSH finds candidate pairs without comparing every pair of articles. An article is reduced to
its ``Fingerprint`` (hash, dates and a 1 KB signature) as it is read, so the texts need not stay in memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from datasketch import LeanMinHash, MinHash, MinHashLSH

from tasks.groups import DisjointSets

SHINGLE = 5
NUM_PERM = 128
THRESHOLD = 0.8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Doc:
    article_id: str
    text: str
    content_hash: str
    published_at: datetime | None
    ingested_at: datetime | None = None  # breaks ties between undated articles: the first one ingested wins


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What finding copies needs of an article."""

    article_id: str
    content_hash: str
    signature: LeanMinHash | None  # None: no words
    published_at: datetime | None
    ingested_at: datetime | None


def fingerprint(doc: Doc) -> Fingerprint:
    signature = None
    if shingles := _shingles(doc.text):
        minhash = MinHash(num_perm=NUM_PERM)
        minhash.update_batch(shingles)
        signature = LeanMinHash(minhash)
    return Fingerprint(doc.article_id, doc.content_hash, signature, doc.published_at, doc.ingested_at)


def find_copies(docs: Sequence[Doc | Fingerprint]) -> dict[str, tuple[str, str]]:
    """article_id → (original article_id, "exact" or "near") for every copy; originals are not in the map."""
    prints = [d if isinstance(d, Fingerprint) else fingerprint(d) for d in docs]
    sets = DisjointSets(d.article_id for d in prints)
    by_hash: dict[str, str] = {}
    exact: set[str] = set()
    for d in prints:
        if d.content_hash in by_hash:
            sets.union(d.article_id, by_hash[d.content_hash])
            exact.add(d.article_id)
        else:
            by_hash[d.content_hash] = d.article_id
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    signatures: dict[str, LeanMinHash] = {}
    for d in prints:
        if d.article_id in exact or d.signature is None:
            continue
        for other in lsh.query(d.signature):
            if d.signature.jaccard(signatures[other]) >= THRESHOLD:
                sets.union(d.article_id, other)
        lsh.insert(d.article_id, d.signature)
        signatures[d.article_id] = d.signature
    order = {d.article_id: (d.published_at is None, _timestamp(d.published_at or d.ingested_at), d.article_id)
             for d in prints}
    copies: dict[str, tuple[str, str]] = {}
    hashes = {d.article_id: d.content_hash for d in prints}
    for members in sets.groups():
        original = min(members, key=order.__getitem__)
        for member in members:
            if member != original:
                copies[member] = (original, "exact" if hashes[member] == hashes[original] else "near")
    return copies


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment else 0.0


def _shingles(text: str) -> list[bytes]:
    words = _WORD.findall(text.casefold())
    return [" ".join(words[i : i + SHINGLE]).encode() for i in range(max(len(words) - SHINGLE + 1, 1))] if words else []
