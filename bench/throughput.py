"""Throughput of the whole pipeline against raw spaCy and a naive script, on the same AllSides texts.

    .venv/bin/python -m bench.throughput [-n 2000] [--naive-n 500] [--workers 2] [--corpora ../shared/corpora]

Each contender runs in its own fresh process (so peak RSS is its own) over the first N article texts of
allsides_news/articles.jsonl.gz; words are the whitespace words of those texts, the same count for all:
  pipeline  the newslake flow over the texts as JSONL files (100 records each, written as the corpus streams by:
            the process holds no texts of its own), into a new warehouse;
            a one-record warm-up run first starts Prefect's ephemeral server (and loads the model, with one process)
  pipeline-N  the same with --workers N (NLP in N worker processes)
  raw       spaCy nlp.pipe over the texts with the model and components newslake uses (senter + ner), in one
            process, with newslake's pipe batch (its fastest): the practical limit of one process
  raw-N     the same with spaCy's own n_process=N
            (raw and raw-N run both before and after the pipeline runs, and their rates are from the mean of the
            two times: this machine's speed drifts by up to ~15% within half an hour, which one raw run would pass
            on to every ratio)
  naive     spacy.load() with every default component, nlp(text) per article, entities to pandas.to_parquet
            (on the first --naive-n texts: its words/s does not depend on N)
Prints words/s, ratios to raw, peak RSS and the pipeline's seconds per stage. Peak RSS is sampled every 0.2 s
over the process tree: the contender's own process, its worker processes (summed) and, apart, the ephemeral
Prefect server the flow starts (a deployment talks to a server that runs anyway).
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
import threading
import time
from collections.abc import Iterable, Iterator
from itertools import count, islice
from pathlib import Path
from typing import Any

REGISTRY = str(Path(__file__).resolve().parents[1] / "data" / "outlets.csv")


def read_records(corpora: Path, n: int) -> Iterator[dict[str, Any]]:
    """The first n AllSides records, one at a time."""
    with gzip.open(corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        yield from (json.loads(line) for line in islice(fh, n))


def write_inbox(records: Iterable[dict[str, Any]], inbox: Path) -> None:
    """The records as JSONL files of 100 each, written as they stream by (the corpus is never held whole)."""
    inbox.mkdir()
    stream = iter(records)
    for number in count():
        chunk = list(islice(stream, 100))
        if not chunk:
            return
        (inbox / f"export-{number:05d}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chunk),
                                                          encoding="utf-8")


class PeakRss:
    """Peak resident memory of this process, of its worker processes (summed) and of a Prefect server child."""

    def __init__(self) -> None:
        self.peak = {"peak_rss_mb": 0.0, "peak_rss_workers_mb": 0.0, "peak_rss_server_mb": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the kernel's, between samples too
        self.peak["peak_rss_mb"] = max(self.peak["peak_rss_mb"], round(own_peak, 1))

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            now = {"peak_rss_mb": me.memory_info().rss, "peak_rss_workers_mb": 0, "peak_rss_server_mb": 0}
            for child in me.children(recursive=True):
                try:
                    key = "peak_rss_server_mb" if "uvicorn" in " ".join(child.cmdline()) else "peak_rss_workers_mb"
                    now[key] += child.memory_info().rss
                except psutil.Error:  # ended between listing and reading
                    continue
            for key, value in now.items():
                self.peak[key] = max(self.peak[key], round(value / 2**20, 1))


def run_pipeline(corpora: Path, n: int, batch_size: int, workers: int = 1) -> dict[str, Any]:
    from flows.cli import set_environment_defaults

    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    set_environment_defaults()  # as the newslake command sets them, before Prefect and pyarrow are imported
    from flows.news_pipeline import news_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        write_inbox(read_records(corpora, n), inbox)
        (Path(tmp) / "warmup.jsonl").write_text(json.dumps(next(read_records(corpora, 1))) + "\n", encoding="utf-8")
        news_pipeline(inputs=[str(Path(tmp) / "warmup.jsonl")], out=str(Path(tmp) / "warmup"),
                      outlets_registry=REGISTRY, workers=workers)  # with workers, the model stays out of here
        started = time.perf_counter()
        summary = news_pipeline(inputs=[str(inbox)], out=str(Path(tmp) / "warehouse"), batch_size=batch_size,
                                outlets_registry=REGISTRY, workers=workers)
        seconds = time.perf_counter() - started
        rerun_started = time.perf_counter()
        news_pipeline(inputs=[str(inbox)], out=str(Path(tmp) / "warehouse"), batch_size=batch_size,
                      outlets_registry=REGISTRY, workers=workers)
        rerun = time.perf_counter() - rerun_started
    return {"seconds": seconds, "stages": summary.stage_seconds, "stage_peak_rss_mb": summary.stage_peak_rss_mb,
            "articles": summary.articles_in_run, "rerun_seconds": rerun}


def run_raw(corpora: Path, n: int, _batch_size: int, workers: int = 1) -> dict[str, Any]:
    from tasks.nlp import PIPE_BATCH, default_model, load_model

    nlp = load_model(default_model())
    texts = [r["content_original"] for r in read_records(corpora, n)]
    started = time.perf_counter()
    for _doc in nlp.pipe(texts, batch_size=PIPE_BATCH, n_process=workers):
        pass
    return {"seconds": time.perf_counter() - started}


def run_naive(corpora: Path, n: int, _batch_size: int, _workers: int = 1) -> dict[str, Any]:
    import pandas as pd
    import spacy

    from tasks.nlp import default_model

    nlp = spacy.load(default_model())
    started = time.perf_counter()
    rows = []
    for i, record in enumerate(read_records(corpora, n)):
        doc = nlp(record["content_original"])
        rows += [{"article": i, "text": e.text, "label": e.label_, "start": e.start_char} for e in doc.ents]
    with tempfile.TemporaryDirectory() as tmp:
        pd.DataFrame(rows).to_parquet(Path(tmp) / "entities.parquet")
    return {"seconds": time.perf_counter() - started}


MODES = {"pipeline": run_pipeline, "raw": run_raw, "naive": run_naive}


def measure(contender: str, corpora: Path, n: int, batch_size: int) -> dict[str, Any]:
    """Run one contender ("raw", "raw-2", "pipeline-2", ...) in a fresh process; its JSON result."""
    mode, _, workers = contender.partition("-")
    done = subprocess.run([sys.executable, "-m", "bench.throughput", "--mode", mode, "-n", str(n), "--corpora",
                           str(corpora), "--batch-size", str(batch_size), "--workers", workers or "1"],
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{contender} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("-n", type=int, default=2000, help="articles (default 2000)")
    parser.add_argument("--naive-n", type=int, default=500, help="articles for the naive script (default 500)")
    parser.add_argument("--batch-size", type=int, default=64, help="articles per NLP task (default 64)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the parallel runs (default 2)")
    parser.add_argument("--mode", choices=sorted(MODES), help=argparse.SUPPRESS)  # one contender, in this process
    args = parser.parse_args()
    if args.mode:
        with PeakRss() as rss:
            result = MODES[args.mode](args.corpora, args.n, args.batch_size, args.workers)
        result["words"] = sum(len(r["content_original"].split()) for r in read_records(args.corpora, args.n))
        print(json.dumps(result | rss.peak))
        return
    raws, parallel = ["raw", f"raw-{args.workers}"], f"pipeline-{args.workers}"
    results = {c: measure(c, args.corpora, args.naive_n if c == "naive" else args.n, args.batch_size)
               for c in [*raws, "pipeline", parallel, "naive"]}
    again = {c: measure(c, args.corpora, args.n, args.batch_size) for c in raws}  # the machine's speed drifts
    for c, r in again.items():
        print(f"{c}: {r['seconds']:.1f} s after the pipeline runs against {results[c]['seconds']:.1f} s before; "
              "the mean of the two is its rate below")
        results[c] = r | {"seconds": (r["seconds"] + results[c]["seconds"]) / 2}
    rate = {mode: r["words"] / r["seconds"] for mode, r in results.items()}
    print(f"{args.n} AllSides articles, {results['raw']['words']:,} words (naive: first {args.naive_n})")
    print(f"{'contender':<12}{'words/s':>9}{'vs raw':>8}{'seconds':>9}   peak RSS MB: process + workers (server)")
    for c, r in results.items():
        print(f"{c:<12}{rate[c]:>9,.0f}{rate[c] / rate['raw']:>8.2f}{r['seconds']:>9.1f}   {r['peak_rss_mb']:>6.0f} + "
              f"{r['peak_rss_workers_mb']:.0f} ({r['peak_rss_server_mb']:.0f})")
    print(f"pipeline / naive: {rate['pipeline'] / rate['naive']:.2f}x; {parallel} / naive: "
          f"{rate[parallel] / rate['naive']:.2f}x")
    for c in ("pipeline", parallel):
        r = results[c]
        print(f"{c}: re-run over unchanged inputs {r['rerun_seconds']:.2f} s = "
              f"{r['rerun_seconds'] / r['seconds']:.3f} of the first run; seconds per stage: "
              + ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items()))
        print(f"{c}: the process's peak RSS MB when each stage last ended: "
              + ", ".join(f"{k} {v:.0f}" for k, v in r["stage_peak_rss_mb"].items()))


if __name__ == "__main__":
    main()
