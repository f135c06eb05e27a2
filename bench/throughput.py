"""Throughput of the whole pipeline against raw spaCy and a naive script, on the same AllSides texts.

    .venv/bin/python -m bench.throughput [-n 2000] [--naive-n 500] [--corpora ../shared/corpora]

Each contender runs in its own fresh process (so peak RSS is its own) over the first N article texts of
allsides_news/articles.jsonl.gz; words are the whitespace words of those texts, the same count for all:
  pipeline  the newslake flow over the texts as JSONL files (100 records each), into a new warehouse;
            a one-record warm-up run first starts Prefect's ephemeral server and loads the model
  raw       spaCy nlp.pipe over the texts with the model and components newslake uses (senter + ner): the limit
  naive     spacy.load() with every default component, nlp(text) per article, entities to pandas.to_parquet
            (on the first --naive-n texts: its words/s does not depend on N)
Prints words/s, ratios to raw, peak RSS (the process and, if any, its worker processes) and the pipeline's
seconds per stage.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

REGISTRY = str(Path(__file__).resolve().parents[1] / "data" / "outlets.csv")


def load_texts(corpora: Path, n: int) -> list[dict[str, Any]]:
    with gzip.open(corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in islice(fh, n)]


def peak_rss_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(own, 1), "peak_rss_children_mb": round(children, 1)}


def run_pipeline(records: list[dict[str, Any]], batch_size: int) -> dict[str, Any]:
    for key, value in {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                       "PREFECT_LOGGING_LEVEL": "WARNING",
                       "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}.items():
        os.environ.setdefault(key, value)
    from flows.news_pipeline import news_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        for start in range(0, len(records), 100):
            (inbox / f"export-{start // 100:05d}.jsonl").write_text(
                "".join(json.dumps(r) + "\n" for r in records[start : start + 100]), encoding="utf-8")
        (Path(tmp) / "warmup.jsonl").write_text(json.dumps(records[0]) + "\n", encoding="utf-8")
        news_pipeline(inputs=[str(Path(tmp) / "warmup.jsonl")], out=str(Path(tmp) / "warmup"),
                      outlets_registry=REGISTRY)
        started = time.perf_counter()
        summary = news_pipeline(inputs=[str(inbox)], out=str(Path(tmp) / "warehouse"), batch_size=batch_size,
                                outlets_registry=REGISTRY)
        seconds = time.perf_counter() - started
        rerun_started = time.perf_counter()
        news_pipeline(inputs=[str(inbox)], out=str(Path(tmp) / "warehouse"), batch_size=batch_size,
                      outlets_registry=REGISTRY)
        rerun = time.perf_counter() - rerun_started
    return {"seconds": seconds, "stages": summary.stage_seconds, "articles": summary.articles_in_run,
            "rerun_seconds": rerun}


def run_raw(records: list[dict[str, Any]], batch_size: int) -> dict[str, Any]:
    from tasks.nlp import default_model, load_model

    nlp = load_model(default_model())
    texts = [r["content_original"] for r in records]
    started = time.perf_counter()
    for _doc in nlp.pipe(texts, batch_size=batch_size):
        pass
    return {"seconds": time.perf_counter() - started}


def run_naive(records: list[dict[str, Any]], _batch_size: int) -> dict[str, Any]:
    import pandas as pd
    import spacy

    from tasks.nlp import default_model

    nlp = spacy.load(default_model())
    started = time.perf_counter()
    rows = []
    for i, record in enumerate(records):
        doc = nlp(record["content_original"])
        rows += [{"article": i, "text": e.text, "label": e.label_, "start": e.start_char} for e in doc.ents]
    with tempfile.TemporaryDirectory() as tmp:
        pd.DataFrame(rows).to_parquet(Path(tmp) / "entities.parquet")
    return {"seconds": time.perf_counter() - started}


MODES = {"pipeline": run_pipeline, "raw": run_raw, "naive": run_naive}


def measure(mode: str, corpora: Path, n: int, batch_size: int) -> dict[str, Any]:
    """Run one contender in a fresh process; its JSON result."""
    done = subprocess.run([sys.executable, "-m", "bench.throughput", "--mode", mode, "-n", str(n), "--corpora",
                           str(corpora), "--batch-size", str(batch_size)], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("-n", type=int, default=2000, help="articles (default 2000)")
    parser.add_argument("--naive-n", type=int, default=500, help="articles for the naive script (default 500)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--mode", choices=sorted(MODES), help=argparse.SUPPRESS)  # one contender, in this process
    args = parser.parse_args()
    if args.mode:
        records = load_texts(args.corpora, args.n)
        result = MODES[args.mode](records, args.batch_size)
        result["words"] = sum(len(r["content_original"].split()) for r in records)
        print(json.dumps(result | peak_rss_mb()))
        return
    results = {mode: measure(mode, args.corpora, args.naive_n if mode == "naive" else args.n, args.batch_size)
               for mode in ("raw", "pipeline", "naive")}
    rate = {mode: r["words"] / r["seconds"] for mode, r in results.items()}
    print(f"{args.n} AllSides articles, {results['raw']['words']:,} words (naive: first {args.naive_n})")
    print(f"{'contender':<10}{'words/s':>10}{'vs raw':>8}{'seconds':>9}{'peak RSS MB':>13}{'+workers':>10}")
    for mode, r in results.items():
        print(f"{mode:<10}{rate[mode]:>10,.0f}{rate[mode] / rate['raw']:>8.2f}{r['seconds']:>9.1f}"
              f"{r['peak_rss_mb']:>13.0f}{r['peak_rss_children_mb']:>10.0f}")
    pipeline = results["pipeline"]
    print(f"pipeline / naive: {rate['pipeline'] / rate['naive']:.2f}x;  re-run over unchanged inputs: "
          f"{pipeline['rerun_seconds']:.2f} s = {pipeline['rerun_seconds'] / pipeline['seconds']:.3f} of the first run")
    print("pipeline seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in pipeline["stages"].items()))


if __name__ == "__main__":
    main()
