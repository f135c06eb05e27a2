"""Mean tone per outlet on the shared AllSides articles (validation part), as the pipeline scores it: each article
cut into sentences by the pipeline's model (senter, as tasks.nlp.analyze loads it), each sentence scored by
tasks.nlp.tone, an article's tone the mean of its sentences', its GDELT tone over all its words. AllSides rates each
outlet's bias (left, center, right): the table sets tone beside it, for the README.

    .venv/bin/python -m bench.tone [--corpora ../shared/corpora] [--min-articles 50]

Tone measures wording, which follows what an outlet covers as much as how: read the table as a description of
these articles, not as a finding about the outlets.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from bench.split import part
from tasks.nlp.analyze import default_model, load_model
from tasks.nlp.sentences import sentence_spans
from tasks.nlp.tone import article_tone, tone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--min-articles", type=int, default=50, help="outlets with fewer are left out of the table")
    args = parser.parse_args()
    started = time.perf_counter()
    with gzip.open(args.corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        records = [r for r in map(json.loads, fh) if part(r["id"]) == "validation" and r.get("content_original")]
    nlp = load_model(default_model())
    by_outlet: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    texts = ((r["content_original"], r) for r in records)
    with nlp.select_pipes(enable=["senter"] if nlp.has_pipe("senter") else ["sentencizer"]):
        for doc, record in nlp.pipe(texts, as_tuples=True, batch_size=32):
            text = record["content_original"]
            spans = sentence_spans(text, ((s.start_char, s.end_char) for s in doc.sents))
            compound, gdelt = article_tone([tone(text[a:b]) for a, b in spans])
            if compound is not None and gdelt is not None:
                by_outlet[(record["source"], record.get("bias_text") or "?")].append((compound, gdelt))
    print(f"{len(records)} validation articles, {time.perf_counter() - started:.0f} s\n")
    print("| outlet | AllSides bias | articles | mean tone (VADER) | mean GDELT tone |")
    print("| --- | --- | ---: | ---: | ---: |")
    rows = sorted(((statistics.fmean(c for c, _ in v), k, v) for k, v in by_outlet.items()
                   if len(v) >= args.min_articles), reverse=True)
    for compound, (outlet, bias), values in rows:
        gdelt = statistics.fmean(g for _, g in values)
        print(f"| {outlet} | {bias} | {len(values)} | {compound:+.3f} | {gdelt:+.2f} |")
    by_bias: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (_, bias), values in by_outlet.items():
        by_bias[bias] += values
    print("\n| AllSides bias | articles | mean tone (VADER) | mean GDELT tone |")
    print("| --- | ---: | ---: | ---: |")
    for bias, values in sorted(by_bias.items()):
        print(f"| {bias} | {len(values)} | {statistics.fmean(c for c, _ in values):+.3f} | "
              f"{statistics.fmean(g for _, g in values):+.2f} |")


if __name__ == "__main__":
    main()
