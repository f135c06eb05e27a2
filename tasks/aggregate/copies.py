"""A run's copies found among the stored articles, without holding every stored signature in memory.

Copies form groups: the articles joined, directly or through others, by an exact or near copy (``duplicates``),
each group marked by its original. A stored group changes only where a run's article is a copy of one of its
members, or where one of its members is replaced. So a run looks up, over the stored articles' ``content_hash``
and ``minhash`` (``candidates``), the stored articles that share a content hash or an LSH band with one of its own
(``duplicates.band_keys``), keeps those that are copies (``duplicates.is_copy``), and finds the copies again among
its own articles and every member of those groups and of the groups a replaced article leaves. Every other stored
article keeps its marks. That is what a rebuild gives it: a group is a connected part of the copy relation,
whatever order its articles came in, and no copy joins two stored groups (they would be one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tasks.aggregate import duplicates, sql
from tasks.schemas import ARTICLES
from tasks.warehouse import partitions
from tasks.warehouse.snapshot import arrow_fs

if TYPE_CHECKING:
    from tasks.warehouse import Merged

MEMBER_COLUMNS = ["article_id", "content_hash", "published_at", "ingested_at", "minhash", "duplicate_of",
                  "duplicate_kind"]  # the columns read: not the texts
SIGNED_COLUMNS = ["minhash", "content_hash"]  # read from every stored article; the others only where found
LEFT_SQL = "select distinct coalesce(duplicate_of, article_id) from base semi join removed using (article_id)"
MEMBERS_SQL = ("select filename, article_id from base b semi join groups g on coalesce(b.duplicate_of, b.article_id) = "
               "g.original anti join removed using (article_id)")  # where they are: only two columns read whole
SIGNATURE_BYTES = 4 * duplicates.NUM_PERM
_WIDTH = 4 * duplicates.BAND_ROWS  # a band's bytes
BATCH_ROWS = 8192
# a band's values folded into one 64-bit number (a polynomial, wrapping around), so every stored signature's bands
# are tested against the run's in a few numpy operations; a number found is then checked against the band's bytes
_FOLD = np.array([pow(0x9E3779B97F4A7C15, duplicates.BAND_ROWS - 1 - j, 2**64) for j in range(duplicates.BAND_ROWS)],
                 dtype=np.uint64)
Mark = tuple[str | None, str | None]  # duplicate_of, duplicate_kind


@dataclass(frozen=True, slots=True)
class Regrouped:
    """The copy marks of the groups a run changed: ``copies``, article_id -> (original, kind) of each copy among
    ``members`` (the run's articles and the stored members of those groups); ``remarked``, the months holding a
    stored member whose marks changed."""

    copies: dict[str, tuple[str, str]]
    members: frozenset[str]
    remarked: frozenset[str]


def stored_articles(merged: Merged, filename: bool = False) -> sql.Parquet:
    """The base version's articles as a DuckDB relation (with the column ``filename``, their part, if asked)."""
    return sql.Parquet(merged.commit.urls("articles", merged.base.parts("articles")), ARTICLES, filename)


def all_signed(merged: Merged) -> bool:
    """Whether every stored article has its signature, as the parts' footers count them (a part without the column,
    written before signatures were stored, has none): reading the column would read every signature."""
    fs = arrow_fs(merged.base.out)
    for part in merged.base.parts("articles"):
        footer = pq.read_metadata(part, filesystem=fs)
        for group in (footer.row_group(i) for i in range(footer.num_row_groups)):
            found = [group.column(j).statistics for j in range(group.num_columns)
                     if group.column(j).path_in_schema == "minhash"]
            if not found or found[0] is None or found[0].null_count != 0:  # None: not counted
                return False
    return True


def regroup(merged: Merged, added: Sequence[duplicates.Fingerprint]) -> Regrouped:
    """The groups of copies that the run's ``added`` articles join, or that an article it replaces leaves, found
    again over their members. The stored articles must all have a signature (``articles.minhash`` not null)."""
    removed = sorted(merged.removed)
    stored = stored_articles(merged, filename=True)
    relations: dict[str, sql.Parquet | pa.Table] = {"base": stored,
                 "removed": pa.table({"article_id": pa.array(removed, pa.string())})}
    by_id = {f.article_id: f for f in added}
    with sql.connect(merged.commit.sql_filesystem, **relations) as con:
        sql.on_every_core(con)  # the stored articles meet the run's few groups
        groups = {str(row[0]) for row in con.sql(LEFT_SQL).fetchall()} if removed else set()
        for probe, (a, h, p, i, m, of, _) in candidates(merged, added):  # each pair once
            original = of or a
            if original in groups or a in merged.removed:
                continue
            if duplicates.is_copy(by_id[probe], duplicates.fingerprint(duplicates.Doc(a, "", h, p, i), m)):
                groups.add(original)
        con.register("groups", pa.table({"original": pa.array(sorted(groups), pa.string())}))
        found = con.sql(MEMBERS_SQL).fetchall() if groups else []
    members = _members(merged, dict(zip(stored.urls, merged.base.parts("articles"), strict=True)), found)
    marked: dict[str, Mark] = {}
    prints = list(added)
    for a, h, p, i, m, of, kind in zip(*members.to_pydict().values(), strict=True):
        prints.append(duplicates.fingerprint(duplicates.Doc(a, "", h, p, i), m))
        marked[a] = (of, kind)
    copies = duplicates.find_copies(prints)
    months = partitions.months(members["published_at"]).to_pylist()
    remarked = {str(month) for a, month in zip(marked, months, strict=True) if copies.get(a, (None, None)) != marked[a]}
    return Regrouped(copies, frozenset(f.article_id for f in prints), frozenset(remarked))


def candidates(merged: Merged, added: Sequence[duplicates.Fingerprint]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(the run's article, a stored article's ``MEMBER_COLUMNS``) for each stored article sharing a content hash or
    an LSH band (``duplicates.band_keys``) with one of ``added``. Only the stored signatures and content hashes are
    read whole (``_probed_rows``); the other columns are read from the parts where one was found."""
    fs = arrow_fs(merged.base.out)
    for part, probes in _probed_rows(merged, added):
        rows = sorted(probes)
        found = _member_columns(fs, part).take(rows)
        for row, article in zip(rows, zip(*found.to_pydict().values(), strict=True), strict=True):
            for probe in sorted(probes[row]):
                yield probe, article


def _members(merged: Merged, part_of: dict[str, str], found: list[tuple[str, str]]) -> pa.Table:
    """The ``MEMBER_COLUMNS`` of the stored articles ``found`` (their part's URL, their id), read from their parts
    (``part_of``: by URL)."""
    fs = arrow_fs(merged.base.out)
    ids: dict[str, list[str]] = {}
    for url, article_id in found:
        ids.setdefault(part_of[str(url)], []).append(str(article_id))
    tables = [(t := _member_columns(fs, part)).filter(pc.is_in(t["article_id"], pa.array(held, pa.string())))
              for part, held in sorted(ids.items())]
    return pa.concat_tables(tables) if tables else ARTICLES.empty_table().select(MEMBER_COLUMNS)


def _member_columns(fs: fsspec.AbstractFileSystem | None, part: str) -> pa.Table:
    """A stored articles' part's ``MEMBER_COLUMNS``, as declared (a part written before one was added has nulls)."""
    return pq.read_table(part, columns=MEMBER_COLUMNS, schema=ARTICLES, filesystem=fs, use_threads=False)


def _probed_rows(merged: Merged, added: Sequence[duplicates.Fingerprint]) -> Iterator[tuple[str, dict[int, set[str]]]]:
    """Each part of the stored articles that holds one sharing a content hash or an LSH band with one of ``added``,
    with its rows -> the run's articles they share one with. The signatures are read thousands at a time,
    each band folded into a number and looked up in numpy; a band found so is then matched by its bytes. (Matching
    the bands' bytes in SQL made a row per stored article and band.)"""
    by_hash: dict[str, list[str]] = {}
    by_key: dict[tuple[int, bytes], list[str]] = {}  # (band, its bytes) -> the run's articles
    for f in added:
        by_hash.setdefault(f.content_hash, []).append(f.article_id)
        for band, key in enumerate(duplicates.band_keys(f.signature)):
            by_key.setdefault((band, key), []).append(f.article_id)
    if not added:
        return
    wanted = np.array([_folded(np.frombuffer(key, "<u4")) for _, key in by_key if len(key) == _WIDTH], np.uint64)
    hashes = pa.array(sorted(by_hash), pa.string())
    for parts, starts, batch in _stored_batches(merged):
        signatures = batch.column("minhash")
        length = _layout(signatures)[1]
        full = np.flatnonzero(length == SIGNATURE_BYTES)
        bands = _folded(_whole(signatures, full)[:, : duplicates.BANDS * duplicates.BAND_ROWS].reshape(
            len(full), duplicates.BANDS, duplicates.BAND_ROWS))
        probes: dict[int, set[str]] = {}  # row -> the run's articles it may be a copy of
        for at, band in zip(*np.nonzero(np.isin(bands, wanted)), strict=True):  # any band's number: checked below
            row = int(full[at])
            stored = signatures[row].as_py()[band * _WIDTH:(band + 1) * _WIDTH]
            probes.setdefault(row, set()).update(by_key.get((int(band), stored), ()))
        for row in np.flatnonzero((length > 0) & (length < SIGNATURE_BYTES)).tolist():  # one shingle: band 0
            probes.setdefault(row, set()).update(by_key.get((0, signatures[row].as_py()), ()))
        same = pc.is_in(batch.column("content_hash"), hashes).to_numpy(zero_copy_only=False)
        for row in np.flatnonzero(same).tolist():
            probes.setdefault(row, set()).update(by_hash[batch.column("content_hash")[row].as_py()])
        by_part: dict[int, dict[int, set[str]]] = {}
        for row, found in probes.items():
            if found:
                at = int(np.searchsorted(starts, row, side="right")) - 1
                by_part.setdefault(at, {})[row - int(starts[at])] = found
        for at in sorted(by_part):
            yield parts[at], by_part[at]


def _stored_batches(merged: Merged) -> Iterator[tuple[list[str], np.ndarray, pa.RecordBatch]]:
    """The stored articles' signatures and content hashes, ``BATCH_ROWS`` or so at a time (a month's part is often
    smaller, so several are read together): the parts read, the row each starts at, the rows. A part at a time, on
    one thread: Arrow's dataset scanner read them faster but held hundreds of MB more at a million articles."""
    fs = arrow_fs(merged.base.out)
    parts: list[str] = []
    pending: list[pa.Table] = []
    rows = 0
    for part in merged.base.parts("articles"):
        parts.append(part)
        with pq.ParquetFile(part, filesystem=fs) as file:  # not read_table, which costs a dataset per part
            pending.append(file.read(columns=SIGNED_COLUMNS, use_threads=False))
        rows += pending[-1].num_rows
        if rows >= BATCH_ROWS:
            yield parts, _starts(pending), pa.concat_tables(pending).combine_chunks().to_batches()[0]
            parts, pending, rows = [], [], 0
    if rows:
        yield parts, _starts(pending), pa.concat_tables(pending).combine_chunks().to_batches()[0]
    pa.default_memory_pool().release_unused()


def _starts(tables: list[pa.Table]) -> np.ndarray:
    """The row each of ``tables`` starts at, once they are concatenated."""
    return np.cumsum([0] + [t.num_rows for t in tables[:-1]])


def _layout(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A binary array's values as numpy sees them, without copying: where each starts and how long it is (0 when
    null) in its data, the bytes."""
    offsets, data = values.buffers()[1:3]
    edges = np.frombuffer(memoryview(offsets or bytes(4)), np.int32, count=len(values) + 1, offset=4 * values.offset)
    return edges[:-1], np.diff(edges), np.frombuffer(memoryview(data or b""), np.uint8)


def _whole(signatures: pa.Array, full: np.ndarray) -> np.ndarray:
    """The values of the signatures at rows ``full`` (those of SIGNATURE_BYTES), one row each: a view of their
    bytes, which lie in one block once the others are taken out (a numpy gather of every row's bytes cost more
    than reading them)."""
    if not len(full):
        return np.empty((0, duplicates.NUM_PERM), "<u4")
    starts, _, data = _layout(signatures if len(full) == len(signatures) else signatures.take(pa.array(full)))
    return data[starts[0]:starts[0] + len(full) * SIGNATURE_BYTES].view("<u4").reshape(len(full), duplicates.NUM_PERM)


def _folded(bands: np.ndarray) -> np.ndarray:
    """Each band's BAND_ROWS values (the last axis) folded into one 64-bit number."""
    return (bands.astype(np.uint64) * _FOLD).sum(axis=-1, dtype=np.uint64)
