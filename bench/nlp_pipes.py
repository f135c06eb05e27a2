"""Words/s of the NLP stage against spaCy's full default pipeline, measured in the same run.

    .venv/bin/python -m bench.nlp_pipes [--corpora ../shared/corpora] [-n 300] [--pipe-batches 8,16,64]

Reads the first N bodies of ``allsides_news/articles.jsonl.gz`` and runs (1) the baseline: the model with every
default component, ``nlp.pipe``; (2) newslake's ``tasks.nlp.analyze`` (senter + ner, entity rules, rows built).
Prints words/s, the ratio to the baseline, and whether the trimmed model finds the same entities as the full one.
Then, for each ``nlp.pipe`` batch size (smallest first), the trimmed model's words/s and how far the process's
memory rose above where it started (sampled every 10 ms): how ``tasks.nlp.PIPE_BATCH`` was chosen.
"""

from __future__ import annotations

import argparse
import gzip
import json
import threading
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import spacy

from tasks.clean import clean_record
from tasks.nlp import PIPE_BATCH, analyze, default_model, load_model
from tasks.records import CleanArticle, RawRecord


def load_articles(corpora: Path, n: int) -> list[CleanArticle]:
    path = corpora / "allsides_news" / "articles.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in islice(fh, n)]
    articles = []
    for i, rec in enumerate(records, start=1):
        article = clean_record(RawRecord(source_uri=f"{path}#{i}", source_format="json",
                                         text=rec["content_original"], url=rec.get("url")))
        if isinstance(article, CleanArticle):
            articles.append(article)
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("-n", type=int, default=300, help="articles (default 300)")
    parser.add_argument("--pipe-batches", default="8,16,64", help="nlp.pipe batch sizes to compare (default 8,16,64)")
    args = parser.parse_args()
    model = default_model()
    articles = load_articles(args.corpora, args.n)
    words = sum(len(a.text.split()) for a in articles)
    analyze(articles[:2], model)  # load the trimmed model outside the timing

    full = spacy.load(model)
    started = time.perf_counter()
    baseline_ents = [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                     for doc in full.pipe((a.text for a in articles), batch_size=PIPE_BATCH)]
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    rows = analyze(articles, model)
    ours = time.perf_counter() - started

    trimmed = load_model(model)  # the same model without the unused components, before newslake's entity rules
    docs = trimmed.pipe((a.text for a in articles), batch_size=PIPE_BATCH)
    same = sum([(e.start_char, e.end_char, e.label_) for e in doc.ents] == ents
               for doc, ents in zip(docs, baseline_ents, strict=True))

    print(f"{len(articles)} articles, {words} words, model {model}")
    print(f"{'pipeline':<42}{'words/s':>10}{'ratio':>8}")
    print(f"{'baseline: full default pipeline, nlp.pipe':<42}{words / baseline:>10,.0f}{1.0:>8.2f}")
    print(f"{'newslake analyze (senter + ner + rules, rows)':<42}{words / ours:>10,.0f}{baseline / ours:>8.2f}")
    print(f"{rows.entities.num_rows} entity rows after newslake's rules; articles whose raw model entities (senter +"
          f" ner, before the rules) equal the full pipeline's: {same}/{len(articles)}")
    texts = [a.text for a in articles]
    for size in sorted(int(b) for b in args.pipe_batches.split(",")):
        seconds, rise = _timed_with_memory(lambda size=size: [None for _ in trimmed.pipe(texts, batch_size=size)])
        print(f"nlp.pipe batch {size:>3}: {words / seconds:>7,.0f} words/s, memory +{rise:,.0f} MB")


def _timed_with_memory(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds ``work`` took and the most the process's RSS rose above its level at the start, in MB."""
    import psutil

    me = psutil.Process()
    start = peak = me.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, me.memory_info().rss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return seconds, (peak - start) / 2**20


if __name__ == "__main__":
    main()
