"""Duplicates: exact copies (same content hash) and near-duplicate or syndicated copies (MinHash LSH over word
5-shingles, Jaccard ≥ 0.8). Each copy points at the group's original: the earliest published (dated articles
before undated ones, undated ones by when they were ingested), then the lowest id.

datasketch's MinHash LSH finds candidate pairs without comparing every pair of articles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from datasketch import MinHash, MinHashLSH

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


def find_copies(docs: Sequence[Doc]) -> dict[str, tuple[str, str]]:
    """article_id → (original article_id, "exact" or "near") for every copy; originals are not in the map."""
    sets = DisjointSets(d.article_id for d in docs)
    by_hash: dict[str, str] = {}
    exact: set[str] = set()
    for d in docs:
        if d.content_hash in by_hash:
            sets.union(d.article_id, by_hash[d.content_hash])
            exact.add(d.article_id)
        else:
            by_hash[d.content_hash] = d.article_id
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    signatures: dict[str, MinHash] = {}
    for d in docs:
        if d.article_id in exact or not (shingles := _shingles(d.text)):
            continue
        signature = MinHash(num_perm=NUM_PERM)
        signature.update_batch(shingles)
        for other in lsh.query(signature):
            if signature.jaccard(signatures[other]) >= THRESHOLD:
                sets.union(d.article_id, other)
        lsh.insert(d.article_id, signature)
        signatures[d.article_id] = signature
    order = {d.article_id: (d.published_at is None, _timestamp(d.published_at or d.ingested_at), d.article_id)
             for d in docs}
    copies: dict[str, tuple[str, str]] = {}
    hashes = {d.article_id: d.content_hash for d in docs}
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
