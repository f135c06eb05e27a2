"""The published metrics the benchmarks reproduce (upstream evaluate.py of each benchmark), no I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    accuracy: float
    pages: int

    def row(self, name: str) -> str:
        return f"{name:<44}{self.f1:>7.3f}{self.precision:>7.3f}{self.recall:>7.3f}{self.accuracy:>7.3f}{self.pages:>6}"


HEADER = f"{'system':<44}{'F1':>7}{'P':>7}{'R':>7}{'acc':>7}{'pages':>6}"


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text or "")
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)) if tokens[i : i + 4])


def page_counts(gold: str, predicted: str) -> tuple[float, float, float]:
    """TP, FP, FN over word 4-gram multisets, normalised to sum to 1 (ScrapingHub article-extraction metric)."""
    g, p = _shingles(gold), _shingles(predicted)
    counts = (sum((g & p).values()), sum((p - g).values()), sum((g - p).values()))
    total = sum(counts)
    return (counts[0] / total, counts[1] / total, counts[2] / total) if total else (0.0, 0.0, 0.0)


def extraction_scores(pairs: Iterable[tuple[str, str]]) -> Scores:
    """F1 of the page-averaged precision and recall (pages with no predicted resp. gold shingle left out of
    that average, as upstream); accuracy = pages whose \\w+ tokens match exactly."""
    counts, exact = [], 0
    for gold, predicted in pairs:
        counts.append(page_counts(gold, predicted))
        exact += _WORD.findall(gold or "") == _WORD.findall(predicted or "")
    precisions = [1.0 if fp == fn == 0 else tp / (tp + fp) for tp, fp, fn in counts if tp + fp > 0]
    recalls = [1.0 if fp == fn == 0 else tp / (tp + fn) for tp, fp, fn in counts if tp + fn > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, exact / len(counts), len(counts))


def date_scores(pairs: Iterable[tuple[str | None, str | None]]) -> Scores:
    """htmldate's evaluation: day-level match; a missing prediction for a null gold counts as tn and fn."""
    tp = fp = fn = tn = 0
    for gold, predicted in pairs:
        if predicted is None:
            fn += 1
            tn += gold is None
        elif predicted == gold:
            tp += 1
        else:
            fp += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    total = tp + fp + fn + tn
    return Scores(precision, recall, 2 * tp / (2 * tp + fp + fn) if tp else 0.0, (tp + tn) / total, tp + fp + fn)
