"""Quote attribution against a hand-labelled sample of AllSides quotations (``bench/labels/``, its README says how
the sample was drawn and labelled).

The real flow reads the sample's articles (AllSides JSON lines, as a user would feed them) into a fresh warehouse, one
part at a time. A quote of the ``quotes`` table meets its label by article and by a hash of its whitespace-collapsed
words (labels hold no article text). Figures per part:

- precision: of the quotes newslake gives a speaker (and that meet a label), the share whose speaker is the labelled
  one (a scare quote or a title given a speaker counts against it);
- recall: of the labelled speech quotes with a stated speaker, the share newslake gives that speaker;
- scare quotes left out: of the labelled quotations that are not speech, the share newslake does not list.

A speaker matches when its name and the label's are the same name key or one's words are all in the other's
("Trump" for Donald Trump: the quote's article names him); of a quote two people said jointly ("A; B"), either.

    .venv/bin/python -m bench.quotes [--corpora ../shared/corpora] [--part development] [--dump-development FILE]
                                     [--labels FILE]

``--dump-development`` writes the development part's errors (a quote given the wrong speaker, or a speaker where it
has none) to study. There is no such option for the validation part: its errors are never read, or it would
stop telling how the rules do on articles they were not shaped on. ``--part development`` scores the development part
alone, so that work on the rules need not look at the validation figure. ``--labels FILE`` scores another labels file
of the same shape: a new batch on its own, before it joins the sample and before its errors are studied.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.split import PARTS, Part, add_part_option
from flows.cli import set_environment_defaults

set_environment_defaults()

from bench.quote_labels import LABELS, same_speaker, words_hash  # noqa: E402 (it imports pyarrow)
from flows.news_pipeline import news_pipeline  # noqa: E402 (after the environment, as the CLI does)
from tasks.warehouse import storage  # noqa: E402


def score(part: Part, labels: list[dict[str, object]], corpus: dict[str, str], work: Path,
          dump: Path | None = None) -> Counter[str]:
    """Counts for one part: the flow over its labelled articles, each quote met with its label; its errors written
    to ``dump`` when given."""
    ids = sorted({str(label["article_id"]) for label in labels})
    inbox, out = work / f"{part}.jsonl", work / part
    inbox.write_text("".join(corpus[i] for i in ids), encoding="utf-8")
    news_pipeline(inputs=[str(inbox)], out=str(out))
    con = storage.open_duckdb(out)
    rows = con.sql("select a.source_id, q.text, q.speaker_name, q.char_start, q.char_end, s.text "
                   "from quotes q join articles a using (article_id) "
                   "join sentences s using (article_id, sentence_index)").fetchall()
    predicted = {(row[0], words_hash(row[1])): row[2] for row in rows}
    where = {(row[0], words_hash(row[1])): row[3:] for row in rows}
    con.close()
    errors: list[str] = []
    counts: Counter[str] = Counter()
    for label in labels:
        key = (str(label["article_id"]), str(label["hash"]))
        listed, speaker = key in predicted, predicted.get(key)
        right = label["kind"] == "speech" and same_speaker(speaker, str(label["speaker"] or ""))
        if dump is not None and speaker is not None and not right:
            start, end, sentence = where[key]
            errors.append(f"{key[0]} {start}-{end} predicted={speaker!r} labelled={label['speaker']!r} "
                          f"({label['kind']})\n    {' '.join(str(sentence).split())}\n")
        if label["kind"] != "speech":
            counts["other"] += 1
            counts["other left out"] += not listed
            counts["attributed"] += speaker is not None  # attributing a scare quote is an error
            continue
        counts["attributed"] += speaker is not None
        counts["attributed right"] += same_speaker(speaker, str(label["speaker"] or ""))
        if label["speaker"]:
            counts["speech with speaker"] += 1
            counts["found right"] += same_speaker(speaker, str(label["speaker"]))
    counts["quotes listed"] = len(predicted)
    counts["labels met"] = sum((str(lb["article_id"]), str(lb["hash"])) in predicted for lb in labels)
    if dump is not None:
        dump.write_text("\n".join(errors), encoding="utf-8")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--dump-development", type=Path, metavar="FILE",
                        help="write the development part's attribution errors to FILE (there is no such option for "
                             "the validation part)")
    parser.add_argument("--labels", type=Path, default=LABELS, help="the labels to score (default: the sample)")
    add_part_option(parser)
    args = parser.parse_args()
    labels = [json.loads(line) for line in args.labels.read_text(encoding="utf-8").splitlines() if line.strip()]
    wanted = {str(label["article_id"]) for label in labels}
    corpus: dict[str, str] = {}
    with gzip.open(args.corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            if (article_id := json.loads(line)["id"]) in wanted:
                corpus[article_id] = line
    if missing := wanted - corpus.keys():
        sys.exit(f"{len(missing)} labelled articles are not in the corpus: pass --corpora")
    with tempfile.TemporaryDirectory() as tmp:
        results = {p: score(p, [lb for lb in labels if lb["part"] == p], corpus, Path(tmp),
                            args.dump_development if p == "development" else None) for p in args.part or PARTS}
    print("\nquote attribution on the labelled AllSides sample (bench/labels/README.md)")
    print(f"{'part':<13}{'labels':>8}{'met':>6}{'precision':>11}{'recall':>8}{'scare quotes left out':>23}")
    for p, c in results.items():
        labelled = sum(1 for lb in labels if lb["part"] == p)
        precision = c["attributed right"] / c["attributed"] if c["attributed"] else 0.0
        recall = c["found right"] / c["speech with speaker"] if c["speech with speaker"] else 0.0
        left_out = f"{c['other left out']}/{c['other']}"
        print(f"{p:<13}{labelled:>8}{c['labels met']:>6}{precision:>11.3f}{recall:>8.3f}{left_out:>23}"
              f"   ({c['attributed right']}/{c['attributed']} attributed right, "
              f"{c['found right']}/{c['speech with speaker']} found)")


if __name__ == "__main__":
    main()
