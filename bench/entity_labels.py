"""The entity-label vote at archive size: reading the articles' text in buckets against joining it all at once.

    .venv/bin/python -m bench.entity_labels [--articles 100000] [--mentions-per-article 100]

The vote (``tasks/aggregate/labels.py``) needs each person mention's four characters before it, so it joins mentions
to the articles' text. On a replicated 102,400-article AllSides warehouse (``bench.scale``) the aggregate ran out of
its DuckDB memory limit there. This bench rebuilds that shape synthetically, so that it takes seconds rather than
an hour: N articles of ~5,500 characters (AllSides articles average about that), M mentions per article (AllSides
warehouses hold about 100), 40% of them PERSON, names drawn from 300,000. Both runs use ``sql.connect`` (the
aggregate's memory limit) in this process: the baseline with one bucket (all text at once, as before), then the
default bucket size. Prints each run's seconds, its result or error, and the process's peak RSS after it.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tasks.aggregate import labels, sql
from tasks.schemas import ARTICLES


def make(folder: Path, articles: int, per_article: int) -> None:
    con = duckdb.connect()
    con.sql(f"""copy (select printf('%016d', i) as article_id, repeat('a word on Lima said and ', 230) as text
                      from range({articles}) t(i)) to '{folder}/articles.parquet'""")
    con.sql(f"""copy (select printf('%016d', i // {per_article}) as article_id,
                             ((i % {per_article}) * 21 + i % 7)::int32 as char_start,
                             case when i % 5 < 2 then 'PERSON' when i % 5 = 2 then 'ORG' else 'GPE' end as label,
                             'name ' || (hash(i) % 300000)::varchar as name_key
                      from range({articles * per_article}) t(i)) to '{folder}/mentions.parquet'""")
    con.sql(f"""copy (select distinct label, name_key, md5(label || name_key)[:16] as entity_id
                      from '{folder}/mentions.parquet') to '{folder}/ids.parquet'""")


def vote(folder: Path, bucket_bytes: int) -> str:
    labels.BUCKET_BYTES = bucket_bytes
    mentions = pq.ParquetFile(folder / "mentions.parquet")
    reader = pa.RecordBatchReader.from_batches(mentions.schema_arrow, mentions.iter_batches(65_536))
    with sql.connect(mentions=reader, ids=pq.read_table(folder / "ids.parquet"),
                     articles=sql.Parquet([str(folder / "articles.parquet")], ARTICLES)) as con:
        try:
            voted = labels.entity_labels(con)
        except duckdb.OutOfMemoryException as error:
            return f"out of memory: {str(error).splitlines()[0]}"
    return f"{len(voted):,} entities, {sum(v == 'ORG' for v in voted.values()):,} organisations"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--mentions-per-article", type=int, default=100)
    args = parser.parse_args()
    default = labels.BUCKET_BYTES
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make(folder, args.articles, args.mentions_per_article)
        print(f"{args.articles:,} articles, {args.articles * args.mentions_per_article:,} mentions, DuckDB limit "
              f"{sql.MEMORY_LIMIT}")
        for name, bucket_bytes in (("all text at once (baseline)", 1 << 62), ("buckets (newslake)", default)):
            start = time.perf_counter()
            result = vote(folder, bucket_bytes)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
            print(f"{name:<30} {time.perf_counter() - start:6.1f} s  {result}  (peak RSS so far {peak} MB)")


if __name__ == "__main__":
    main()
