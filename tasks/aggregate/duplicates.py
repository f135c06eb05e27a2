"""Duplicates: exact copies (same content hash) and near-duplicate or syndicated copies (MinHash LSH over word
5-shingles, Jaccard ≥ 0.8). Each copy points at the group's original: the earliest published (dated articles
before undated ones, undated ones by when they were ingested), then the lowest id.

datasketch's MinHash LSH finds candidate pairs without comparing every pair of articles. An article is reduced to
its ``Fingerprint`` (hash, dates and a 512-byte signature) as it is read, so the texts need not stay in memory. The
signature is stored with the article (``articles.minhash``, ``signature_bytes``), so a run shingles only the texts
it adds, and a run's copies are looked up among the stored articles by those signatures' LSH bands (``copies``).
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from tasks import ids
from tasks.aggregate.groups import DisjointSets

SHINGLE = 5
NUM_PERM = 128
SCHEME = "affine32"
SEED = 1
_SHINGLE_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: a shingle's words in another order hash differently
THRESHOLD = 0.8
_LSH = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
BANDS, BAND_ROWS = _LSH.b, _LSH.r  # datasketch's choice for THRESHOLD: two texts are candidates when a band is equal
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
    signature: LeanMinHash | int | None  # None: no words; an int: the one shingle of a text of SHINGLE words or fewer
    published_at: datetime | None
    ingested_at: datetime | None


def fingerprint(doc: Doc, stored: bytes | None = None) -> Fingerprint:
    """The article's fingerprint, from its ``stored`` signature when it has one (``signature_bytes``), else from its
    text. A text of one shingle is its hash: two such sets are alike (Jaccard 1) only when equal, which a dictionary
    finds exactly, so a MinHash per very short text (a feed of one-word records) is not needed."""
    if stored is not None:
        values = np.frombuffer(stored, dtype="<u4")
        kept = None if not values.size else int(values[0]) if values.size == 1 else LeanMinHash(
            seed=SEED, hashvalues=values, scheme=SCHEME)
        return Fingerprint(doc.article_id, doc.content_hash, kept, doc.published_at, doc.ingested_at)
    shingles = shingle_hashes(doc.text)
    signature: LeanMinHash | int | None = None
    if shingles.size == 1:
        signature = int(shingles[0])
    elif shingles.size:
        minhash = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int, permutations=_permutations(), scheme=SCHEME)
        minhash.update_batch(shingles.tolist())
        signature = LeanMinHash(minhash)
    return Fingerprint(doc.article_id, doc.content_hash, signature, doc.published_at, doc.ingested_at)


def signature_bytes(signature: LeanMinHash | int | None) -> bytes:
    """A fingerprint's signature as ``articles.minhash`` stores it: its NUM_PERM values (one for a one-shingle text)
    as little-endian 32-bit integers; none for a text without words (null is left for an article not yet
    fingerprinted)."""
    if signature is None:
        return b""
    values = np.array([signature], dtype=np.uint32) if isinstance(signature, int) else signature.hashvalues
    return values.astype("<u4").tobytes()


def shingle_hashes(text: str) -> np.ndarray:
    """A 32-bit hash per word 5-shingle (all the words, when fewer): CRC-32 of each word, combined along the
    shingle as a polynomial in numpy. datasketch mixes such weak hashes before its permutations; hashing each
    shingle's text with SHA-1 took most of the aggregate stage."""
    words = _WORD.findall(text.casefold())
    if not words:
        return np.empty(0, dtype=np.uint32)
    word_hashes = np.fromiter((zlib.crc32(w.encode()) for w in words), dtype=np.uint64, count=len(words))
    count = max(len(words) - SHINGLE + 1, 1)
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(min(SHINGLE, len(words))):
        combined = combined * _SHINGLE_MULTIPLIER + word_hashes[offset : offset + count]  # wraps around 2**64
    return (combined ^ (combined >> 32)).astype(np.uint32)


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutations for NUM_PERM and seed 1, drawn once per process instead of once per article."""
    permutations: tuple[np.ndarray, np.ndarray] = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations
    return permutations


def band_keys(signature: LeanMinHash | int | None) -> list[bytes]:
    """The keys a signature is looked up by, as slices of its ``signature_bytes``: each LSH band's values (the
    whole signature, in band 0, for a one-shingle text; none without words). Two texts share a key exactly when
    ``find_copies``'s LSH makes them candidates."""
    stored = signature_bytes(signature)
    if len(stored) <= 4:
        return [stored] if stored else []
    width = 4 * BAND_ROWS
    return [stored[band * width : (band + 1) * width] for band in range(BANDS)]


def is_copy(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether ``find_copies`` joins two candidates: the same content hash, the same one shingle, or signatures
    at least THRESHOLD alike."""
    if a.content_hash == b.content_hash:
        return True
    if isinstance(a.signature, LeanMinHash) and isinstance(b.signature, LeanMinHash):
        return bool(a.signature.jaccard(b.signature) >= THRESHOLD)
    return isinstance(a.signature, int) and a.signature == b.signature


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
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)  # bands as _LSH's
    signatures: dict[str, LeanMinHash] = {}
    by_shingle: dict[int, str] = {}
    for d in prints:
        if d.article_id in exact or d.signature is None:
            continue
        if isinstance(d.signature, int):
            sets.union(d.article_id, by_shingle.setdefault(d.signature, d.article_id))
            continue
        for other in lsh.query(d.signature):
            if d.signature.jaccard(signatures[other]) >= THRESHOLD:
                sets.union(d.article_id, other)
        lsh.insert(d.article_id, d.signature)
        signatures[d.article_id] = d.signature
    order = {d.article_id: ids.first_order(d.published_at, d.article_id, d.ingested_at) for d in prints}
    copies: dict[str, tuple[str, str]] = {}
    hashes = {d.article_id: d.content_hash for d in prints}
    for members in sets.groups():
        original = min(members, key=order.__getitem__)
        for member in members:
            if member != original:
                copies[member] = (original, "exact" if hashes[member] == hashes[original] else "near")
    return copies
