"""Story clustering against gold story ids: pairwise F1, B³ F1 and ARI, beside the corpus's TF-IDF single-link
baseline, computed in the same run.

    .venv/bin/python -m bench.stories [--corpora ../shared/corpora] [--sweep]

allsides_story_roundups: AllSides editors' cross-outlet roundups (the corpus's baseline: single link at 0.25).
ecbplus_event_clusters: two real events of the same kind per topic (the hard negatives), text only.

Figures are on the validation part of each corpus (``bench/split.py``, keyed by ECB+ topic and by AllSides roundup,
so one event's articles are never in both parts); ``--sweep`` compares thresholds on the development part only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

import numpy as np

from bench.split import PARTS, part
from tasks.aggregate.groups import DisjointSets
from tasks.aggregate.stories import STOPWORDS, THRESHOLD, StoryDoc, cluster_stories


def scores(gold: Mapping[str, str], pred: Mapping[str, str]) -> dict[str, float]:
    """Pairwise P/R/F1, B³ P/R/F1 and the adjusted Rand index of a clustering against gold labels."""
    items = sorted(gold)
    g_sizes, p_sizes = Counter(gold.values()), Counter(pred[i] for i in items)
    joint = Counter((gold[i], pred[i]) for i in items)
    same_both = sum(math.comb(n, 2) for n in joint.values())
    same_gold = sum(math.comb(n, 2) for n in g_sizes.values())
    same_pred = sum(math.comb(n, 2) for n in p_sizes.values())
    pp = same_both / same_pred if same_pred else 0.0
    pr = same_both / same_gold if same_gold else 0.0
    bp = sum(joint[(gold[i], pred[i])] / p_sizes[pred[i]] for i in items) / len(items)
    br = sum(joint[(gold[i], pred[i])] / g_sizes[gold[i]] for i in items) / len(items)
    total = math.comb(len(items), 2)
    expected = same_gold * same_pred / total if total else 0.0
    top = (same_gold + same_pred) / 2 - expected
    return {"pair_p": pp, "pair_r": pr, "pair_f1": _f1(pp, pr), "b3_p": bp, "b3_r": br, "b3_f1": _f1(bp, br),
            "ari": (same_both - expected) / top if top else 0.0, "clusters": len(p_sizes)}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def single_link_baseline(docs: Sequence[StoryDoc], threshold: float = 0.25) -> dict[str, str]:
    """Connected components of the TF-IDF cosine graph at ``threshold``, as the corpus README describes its
    baseline (log tf, smoothed idf, a small stop list, tokens [a-z0-9]+ of title and text)."""
    bags = [Counter(t for t in re.findall(r"[a-z0-9]+", f"{d.title or ''} {d.text}".lower()) if t not in STOPWORDS)
            for d in docs]
    df = Counter(t for bag in bags for t in bag)
    vocab = {t: i for i, t in enumerate(df)}
    matrix = np.zeros((len(docs), len(vocab)))
    for row, bag in enumerate(bags):
        for t, n in bag.items():
            matrix[row, vocab[t]] = (1 + math.log(n)) * (math.log((1 + len(docs)) / (1 + df[t])) + 1)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    sim = matrix @ matrix.T
    sets = DisjointSets(range(len(docs)))
    for i, j in zip(*np.nonzero(np.triu(sim, 1) >= threshold), strict=True):
        sets.union(int(i), int(j))
    return {d.article_id: str(sets.find(k)) for k, d in enumerate(docs)}


def load(path: Path) -> tuple[list[StoryDoc], dict[str, str], dict[str, str]]:
    rows = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()]
    docs = [StoryDoc(article_id=r["article_id"], title=r.get("title"), text=r.get("text") or "",
                     outlet_id=r.get("outlet_domain"),
                     published_at=datetime.fromisoformat(r["date"]).replace(tzinfo=UTC) if r.get("date") else None)
            for r in rows]
    return docs, {r["article_id"]: r["cluster_id"] for r in rows}, {r["article_id"]: r.get("topic_id") for r in rows}


def row(name: str, s: Mapping[str, float]) -> str:
    return (f"{name:<48}{s['pair_f1']:>7.3f}{s['pair_p']:>7.3f}{s['pair_r']:>7.3f}{s['b3_f1']:>7.3f}"
            f"{s['ari']:>7.3f}{int(s['clusters']):>6}")


HEADER = f"{'system':<48}{'pairF1':>7}{'P':>7}{'R':>7}{'B3F1':>7}{'ARI':>7}{'clust':>6}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--sweep", action="store_true", help="newslake at other thresholds, on the development part")
    args = parser.parse_args()
    for name in ("allsides_story_roundups", "ecbplus_event_clusters"):
        every, gold, topics = load(args.corpora / name / "articles.jsonl.gz")
        key = {a: topics[a] or gold[a] for a in gold}  # a topic's events, or a roundup's articles, stay in one part
        parts = {p: [d for d in every if part(key[d.article_id]) == p] for p in PARTS}
        golds = {p: {d.article_id: gold[d.article_id] for d in parts[p]} for p in PARTS}
        docs, truth = parts["validation"], golds["validation"]
        print(f"{name}, validation part: {len(docs)} articles, {len(set(truth.values()))} gold stories "
              f"(development part: {len(parts['development'])}; its pairwise and B3 F1 beside)\n{HEADER}"
              f"{'dev pF1':>9}{'dev B3':>8}")
        runs = {"TF-IDF single-link 0.25 (baseline, rerun here)": single_link_baseline,
                f"newslake stories (threshold {THRESHOLD})": cluster_stories}
        for label, cluster in runs.items():
            dev = scores(golds["development"], cluster(parts["development"]))
            print(f"{row(label, scores(truth, cluster(docs)))}{dev['pair_f1']:>9.3f}{dev['b3_f1']:>8.3f}")
        if args.sweep:
            print("  development part only, other thresholds:")
            for t in (0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.25):
                print(row(f"  threshold {t}", scores(golds["development"],
                                                     cluster_stories(parts["development"], threshold=t))))
        if any(topics.values()):
            pred = cluster_stories(docs)
            mixed = sum(len({truth[a] for a in group}) > 1 for group in _groups(pred).values())
            within = [(a, b) for a, b in combinations(sorted(truth), 2)
                      if topics[a] == topics[b] and truth[a] != truth[b]]
            split = sum(pred[a] != pred[b] for a, b in within)
            print(f"  same-topic pairs of different events kept apart: {split}/{len(within)}; "
                  f"predicted stories mixing events: {mixed}")
        print()


def _groups(pred: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a, s in pred.items():
        out.setdefault(s, []).append(a)
    return out


if __name__ == "__main__":
    main()
