"""Tables partitioned by publication month: ``DIR/<table>/month=YYYY-MM/part-*.parquet`` (Hive style, which
DuckDB, pandas/pyarrow, Polars and Spark all read as a ``month`` column), so a reader asking for a period opens
that period's files only, and a commit can carry the months it did not touch as they are.

An article's month is its UTC publication month (``undated`` without a date); its sentences, entity mentions and
quotes live in that month too, ``entity_daily`` and ``place_country_daily`` rows in their day's, and
``entity_pairs`` and ``place_evidence`` rows hold what one month's articles count, and a story lies in its first
article's month (past ``stories.MAX_BLOCK`` articles a story's articles all lie in it). The month is a
folder, not a column of the files: the tables keep the schema ``tasks.schemas`` declares, and ``month`` comes from
the path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from tasks.warehouse.lookup import ArticleLookup

KEY = "month"
UNDATED = "undated"
# the column a row's month is read from (entity_pairs: its rows are counted a month at a time, and the writer is
# given that month as a column the table does not keep)
BY_COLUMN = {"articles": "published_at", "entity_daily": "day", "place_country_daily": "day", "entity_pairs": KEY,
             "place_evidence": KEY, "stories": "first_published_at"}
BY_ARTICLE = frozenset({"sentences", "entities", "quotes"})  # rows in their article's month
PARTITIONED = frozenset(BY_COLUMN) | BY_ARTICLE
DESCRIPTION = ("Partition (a folder, month=YYYY-MM): the UTC month of the article's publication (a story's: its "
               "first article's), 'undated' without a date. Readers of the folder (DuckDB with hive_partitioning, "
               "pandas, Polars) see it as a column; filter on it to read only those months' files.")


def months(times: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """'YYYY-MM' of UTC timestamps or dates (or the months themselves, as strings), ``UNDATED`` for nulls."""
    if pa.types.is_string(times.type):
        return pc.if_else(pc.is_null(times), UNDATED, times)
    # strftime is slow per row, so each distinct month is formatted once (dates too: the stubs name timestamps only)
    key = pc.add(pc.multiply(pc.year(times), 100), pc.month(times))  # type: ignore[arg-type]
    distinct = pc.unique(key)
    formatted = pc.strftime(pc.take(times, pc.index_in(distinct, value_set=key)), format="%Y-%m")
    found = pc.take(formatted, pc.index_in(key, value_set=distinct))
    return pc.if_else(pc.is_null(found), UNDATED, found)


def folder(month: str) -> str:
    return f"{KEY}={month}"


def of_part(name: str) -> str | None:
    """The month of a part named relative to its table's folder (``month=2024-05/part-….parquet``); None for a
    part at the top of the folder (a table that is not partitioned, or one written before it was)."""
    head, _, rest = name.partition("/")
    return head.removeprefix(f"{KEY}=") if rest and head.startswith(f"{KEY}=") else None


def by_month(parts: Sequence[str], names: Sequence[str]) -> dict[str | None, list[str]]:
    """``parts`` (paths) grouped by the month folder of their ``names`` relative to the table's folder (None: a
    part at the top of the folder, written before the table was partitioned)."""
    grouped: dict[str | None, list[str]] = {}
    for part, name in zip(parts, names, strict=True):
        grouped.setdefault(of_part(name), []).append(part)
    return grouped


def row_months(name: str, table: pa.Table, article_months: ArticleLookup) -> pa.Array | pa.ChunkedArray:
    """The month of each row of ``table`` (table ``name``): from its own column, or from its article's month."""
    if name in BY_COLUMN:
        return months(table.column(BY_COLUMN[name]))
    found = article_months.get(table.column("article_id"))
    if found.null_count:  # a row whose article the run never listed: a bug, not a reason to guess
        missing = table.column("article_id").filter(pc.is_null(found))[0]
        raise KeyError(f"{name}: no month known for article {missing}")
    return found


def split(table: pa.Table, row_month: pa.Array | pa.ChunkedArray) -> Iterator[tuple[str, pa.Table]]:
    """``table``'s rows grouped by month, in month order (one group, unsliced, when all share one)."""
    distinct = sorted(str(m) for m in pc.unique(row_month).to_pylist())
    if len(distinct) == 1:
        yield distinct[0], table
        return
    for month in distinct:
        yield month, table.filter(pc.equal(row_month, pa.scalar(month)))
