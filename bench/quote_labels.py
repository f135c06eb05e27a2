"""The labelled quotation sample (``bench/labels/``) and how a speaker is matched to its label: shared by
``bench.quotes``, which scores newslake against the labels, and ``bench.label_agreement``, which compares two
annotations without running the pipeline (so it does not import it)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tasks.aggregate.identity import full_names_of
from tasks.names import entity_key

LABELS = Path(__file__).resolve().parent / "labels" / "allsides_quotes.jsonl"


def words_hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


def same_speaker(predicted: str | None, labelled: str | None) -> bool:
    """Whether the predicted speaker is the labelled one (or one of two labelled jointly, "A; B"): one name's words
    are all in the other's, a nickname standing for its full first name (the entity may be named "Charles Schumer"
    where the label, like the article, says "Chuck Schumer")."""
    if not predicted or not labelled:
        return False
    return any(_same_name(entity_key(predicted).split(), entity_key(n).split()) for n in labelled.split(";"))


def _same_name(a: list[str], b: list[str]) -> bool:
    if len(a) >= 2 and len(b) >= 2 and (a[0] in full_names_of(b[0]) or b[0] in full_names_of(a[0])):
        a = [b[0], *a[1:]]
    return bool(a and b) and (set(a) <= set(b) or set(b) <= set(a))
