"""Aggregate queries at archive size, with their input read in buckets against all at once.

    .venv/bin/python -m bench.archive_queries [--articles 100000] [--mentions-per-article 100]

On a replicated 102,400-article AllSides warehouse (``bench.scale``) the aggregate ran out of its DuckDB memory
limit, first in the entity-label vote (``tasks/aggregate/labels.py``: each person mention's four characters before
it, joined from the articles' text), then, once that was bucketed, in giving quotes their speakers
(``entities.speaker_batches``: a million quotes sorted at once). This bench rebuilds that shape synthetically, so
that it takes seconds rather than an hour: N articles of ~5,500 characters (AllSides articles average about that),
M mentions per article (AllSides warehouses hold about 100), 40% of them PERSON, names drawn from 300,000, and ten
quotes of ~150 characters per article. Each query runs under ``sql.connect`` (the aggregate's memory limit) in this
process: the baseline as before (the vote with one bucket, the speakers' one query), then newslake's. Prints each
run's seconds, its result or error, and the process's peak RSS after it.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.aggregate import entities, labels, sql
from tasks.schemas import ARTICLES, ENTITIES

UNBOUNDED = 1 << 62
# how quotes got their speakers before: the whole stream joined and sorted in one query
SPEAKERS_AT_ONCE = """
select q.*, e.entity_id as speaker_entity_id, e.canonical_name as speaker_name
from quotes q left join entities e on e.article_id = q.article_id and e.char_start = q.speaker_char_start
order by q.article_id, q.char_start
"""


def make(folder: Path, articles: int, per_article: int) -> None:
    con = duckdb.connect()
    con.sql(f"""copy (select printf('%016d', i) as article_id, repeat('a word on Lima said and ', 230) as text
                      from range({articles}) t(i)) to '{folder}/articles.parquet'""")
    con.sql(f"""copy (select printf('%016d', i // {per_article}) as article_id, (i % 20)::int32 as sentence_index,
                             ((i % {per_article}) * 21)::int32 as char_start,
                             ((i % {per_article}) * 21 + 5)::int32 as char_end, 'Lima' as text,
                             case when i % 5 < 2 then 'PERSON' when i % 5 = 2 then 'ORG' else 'GPE' end as label,
                             'PERSON' as model_label, 'name ' || (hash(i) % 300000)::varchar as name_key,
                             md5(name_key)[:16] as entity_id, 'Name ' || (hash(i) % 300000)::varchar as canonical_name
                      from range({articles * per_article}) t(i)) to '{folder}/mentions.parquet'""")
    con.sql(f"""copy (select distinct label, name_key, entity_id from '{folder}/mentions.parquet')
                to '{folder}/ids.parquet'""")
    con.sql(f"""copy (select printf('%016d', i // 10) as article_id, (i % 10)::int32 as sentence_index,
                             ((i % 10) * 300)::int32 as char_start, ((i % 10) * 300 + 150)::int32 as char_end,
                             repeat('quoted words ', 12) as text, ((i % 10) * 210)::int32 as speaker_char_start
                      from range({articles * 10}) t(i)) to '{folder}/quotes.parquet'""")


def _reader(path: Path) -> pa.RecordBatchReader:
    file = pq.ParquetFile(path)
    return pa.RecordBatchReader.from_batches(file.schema_arrow, file.iter_batches(65_536))


def vote(folder: Path, bucket_bytes: int) -> str:
    labels.BUCKET_BYTES = bucket_bytes
    with sql.connect(mentions=_reader(folder / "mentions.parquet"), ids=pq.read_table(folder / "ids.parquet"),
                     articles=sql.Parquet([str(folder / "articles.parquet")], ARTICLES)) as con:
        voted = labels.entity_labels(con)
    return f"{len(voted):,} entities, {sum(v == 'ORG' for v in voted.values()):,} organisations"


def speakers(folder: Path, at_once: bool) -> str:
    with sql.connect(quotes=_reader(folder / "quotes.parquet"),
                     entities=sql.Parquet([str(folder / "mentions.parquet")], ENTITIES)) as con:
        batches = list(sql.stream(con, SPEAKERS_AT_ONCE) if at_once else entities.speaker_batches(con))
    rows = sum(b.num_rows for b in batches)
    named = sum(b.num_rows - b.column("speaker_entity_id").null_count for b in batches)
    return f"{rows:,} quotes, {named:,} with a speaker"


def timed(name: str, run: Callable[[], str]) -> None:
    start = time.perf_counter()
    try:
        result = run()
    except duckdb.OutOfMemoryException as error:
        result = f"out of memory: {str(error).splitlines()[0]}"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{name:<40} {time.perf_counter() - start:6.1f} s  {result}  (peak RSS so far {peak} MB)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--mentions-per-article", type=int, default=100)
    args = parser.parse_args()
    bucket_bytes = labels.BUCKET_BYTES
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make(folder, args.articles, args.mentions_per_article)
        print(f"{args.articles:,} articles, {args.articles * args.mentions_per_article:,} mentions, "
              f"{args.articles * 10:,} quotes, DuckDB limit {sql.MEMORY_LIMIT}")
        timed("label vote, all text at once (baseline)", lambda: vote(folder, UNBOUNDED))
        timed("label vote, buckets (newslake)", lambda: vote(folder, bucket_bytes))
        timed("speakers, one query (baseline)", lambda: speakers(folder, True))
        timed("speakers, buckets (newslake)", lambda: speakers(folder, False))


if __name__ == "__main__":
    main()
