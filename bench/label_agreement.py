"""Agreement of two annotators on the labelled quotation sample: the second annotation
(``bench/labels/allsides_quotes_second.jsonl``, 31 validation and 31 development articles labelled again, blind to the
first labels and to newslake) against the first (``allsides_quotes.jsonl``), per part. No pipeline is run: this
measures the labels, not the rules.

    .venv/bin/python -m bench.label_agreement

Quotations meet by article and hash; a speaker agrees when both are unnamed or the names match as ``bench.quotes``
matches a predicted speaker to its label
(``bench.quote_labels``).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.quote_labels import LABELS, same_speaker
from bench.split import PARTS

SECOND = LABELS.with_name("allsides_quotes_second.jsonl")


def _read(path: Path) -> dict[tuple[str, str], dict[str, str | None]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {(row["article_id"], row["hash"]): row for row in rows}


def _agree(a: str | None, b: str | None) -> bool:
    return (a is None and b is None) or bool(a and b and (same_speaker(a, b) or same_speaker(b, a)))


def main() -> None:
    first, second = _read(LABELS), _read(SECOND)
    print(f"{'part':<13}{'articles':>9}{'quotations':>12}{'met':>6}{'kind agrees':>13}{'speaker agrees':>16}")
    for part in PARTS:
        theirs = {k: v for k, v in second.items() if v["part"] == part}
        articles = {k[0] for k in theirs}
        ours = {k: v for k, v in first.items() if k[0] in articles}
        met = ours.keys() & theirs.keys()
        kind = sum(ours[k]["kind"] == theirs[k]["kind"] for k in met)
        speech = [k for k in met if ours[k]["kind"] == theirs[k]["kind"] == "speech"]
        speaker = sum(_agree(ours[k]["speaker"], theirs[k]["speaker"]) for k in speech)
        print(f"{part:<13}{len(articles):>9}{len(ours):>12}{len(met):>6}{kind / len(met):>13.3f}"
              f"{speaker / len(speech):>16.3f}   ({kind}/{len(met)} kinds, {speaker}/{len(speech)} speakers)")


if __name__ == "__main__":
    main()
