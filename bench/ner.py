"""Entity F1 on CoNLL-2003 (PER/ORG/LOC), the raw model and newslake's NLP stage side by side in one run.

    .venv/bin/python -m bench.ner [--corpora ../shared/corpora]

Both read each document's text as ``newslake run`` would (a JSON record's body through the clean stage). Labels
map PERSON→PER, ORG→ORG, GPE/LOC/FAC→LOC; MISC and the rest are left out of the score. Exact-span micro F1, on
the original CoNLL labels and on CoNLL++. Also reports sentence-boundary F1 against the gold sentence spans.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import spacy

from tasks.aggregate import entities, recall
from tasks.clean import clean_record
from tasks.nlp import analyze, default_model, load_model
from tasks.records import CleanArticle, RawRecord

CONLL = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
SCORED = {"PER", "ORG", "LOC"}
Span = tuple[str, int, int, str]  # doc id, start, end, label


def prf(gold: set[Span], predicted: set[Span]) -> tuple[float, float, float]:
    tp = len(gold & predicted)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    args = parser.parse_args()
    path = args.corpora / "conll2003_test" / "conll2003_test_docs.jsonl.gz"
    docs = [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()]
    articles: list[CleanArticle] = []
    for doc in docs:
        article = clean_record(RawRecord(source_uri=doc["doc_id"], source_format="json", text=doc["text"]))
        assert isinstance(article, CleanArticle) and article.text == doc["text"], doc["doc_id"]
        articles.append(article)
    by_article = {a.article_id: d["doc_id"] for a, d in zip(articles, docs, strict=True)}
    gold = {name: {(d["doc_id"], e["start"], e["end"], e["label"]) for d in docs for e in d[key]
                   if e["label"] in SCORED} for name, key in (("CoNLL", "entities"), ("CoNLL++", "entities_conllpp"))}
    gold_sents = {(d["doc_id"], s, e) for d in docs for s, e in d["sentences"]}

    model = default_model()
    raw_nlp = spacy.load(model)
    started = time.perf_counter()
    raw: set[Span] = set()
    raw_sents: set[tuple[str, int, int]] = set()
    for doc, d in zip(raw_nlp.pipe(a.text for a in articles), docs, strict=True):
        raw |= {(d["doc_id"], e.start_char, e.end_char, CONLL[e.label_]) for e in doc.ents if e.label_ in CONLL}
        raw_sents |= {(d["doc_id"], s.start_char, s.end_char) for s in doc.sents}
    raw_time = time.perf_counter() - started

    load_model(model)
    started = time.perf_counter()
    rows = analyze(articles, model)
    ours_time = time.perf_counter() - started
    ours = {(by_article[m["article_id"]], m["char_start"], m["char_end"], CONLL[m["label"]])
            for m in rows.entities.to_pylist() if m["label"] in CONLL}
    ours_sents = {(by_article[s["article_id"]], s["char_start"], s["char_end"]) for s in rows.sentences.to_pylist()}
    with duckdb.connect() as con:  # the documents as one warehouse: names tagged in some found where others miss them
        con.register("entities", rows.entities)
        con.register("sentences", rows.sentences)
        texts = pa.table({"article_id": [a.article_id for a in articles], "text": [a.text for a in articles]})
        found = recall.recalled_mentions(texts.to_batches(), con,
                                         recall.known_names(entities.name_counts([rows.entities])))
    recalled = ours | {(by_article[m["article_id"]], m["char_start"], m["char_end"], CONLL[m["label"]])
                       for m in found.to_pylist() if m["label"] in CONLL}

    print(f"{len(docs)} CoNLL-2003 test documents, model {model}; exact-span micro P/R/F1 over PER/ORG/LOC")
    print(f"{'system':<46}{'gold':<9}{'P':>7}{'R':>7}{'F1':>7}{'sec':>7}")
    for name, predicted, seconds in (("raw model (full pipeline, nlp.pipe)", raw, raw_time),
                                     ("newslake nlp stage", ours, ours_time),
                                     ("newslake nlp stage + recall (aggregate)", recalled, ours_time)):
        for gold_name, gold_spans in gold.items():
            p, r, f = prf(gold_spans, predicted)
            print(f"{name:<46}{gold_name:<9}{p:>7.3f}{r:>7.3f}{f:>7.3f}{seconds:>7.1f}")
    senter = spacy.load(model, exclude=["tok2vec", "tagger", "parser", "lemmatizer", "attribute_ruler"])
    senter.enable_pipe("senter")
    senter_sents = {(d["doc_id"], s.start_char, s.end_char)
                    for doc, d in zip(senter.pipe(a.text for a in articles), docs, strict=True) for s in doc.sents}
    print("\nsentence boundaries (exact spans) against the gold sentences")
    for name, predicted_sents in (("parser (full pipeline)", raw_sents), ("senter alone", senter_sents),
                                  ("newslake: senter + paragraph breaks", ours_sents)):
        p, r, f = prf(gold_sents, predicted_sents)  # type: ignore[arg-type]
        print(f"{name:<46}{'':<9}{p:>7.3f}{r:>7.3f}{f:>7.3f}")
    seeds(model, raw_nlp, senter)


def seeds(model: str, parser_nlp: spacy.language.Language, senter_nlp: spacy.language.Language) -> None:
    """On the shipped text dumps: sentences per segmentation and how many cross a paragraph break."""
    texts = []
    for path in sorted(Path("data/samples/txt").glob("*.txt")):
        article = clean_record(RawRecord(source_uri=str(path), source_format="txt", text=path.read_text("utf-8")))
        assert isinstance(article, CleanArticle)
        texts.append(article)
    print(f"\n{len(texts)} seed articles (data/samples/txt): sentences, and sentences crossing a paragraph break")
    ours = analyze(texts, model).sentences.to_pylist()
    for name, spans in (
        ("parser (full pipeline)", [(d.text, s.start_char, s.end_char) for d in parser_nlp.pipe(a.text for a in texts)
                                    for s in d.sents]),
        ("senter alone", [(d.text, s.start_char, s.end_char) for d in senter_nlp.pipe(a.text for a in texts)
                          for s in d.sents]),
        ("newslake: senter + paragraph breaks", [(s["text"], 0, len(s["text"])) for s in ours]),
    ):
        crossing = sum("\n\n" in text[start:end].strip() for text, start, end in spans)
        print(f"{name:<46}{len(spans):>6} sentences{crossing:>6} crossing")


if __name__ == "__main__":
    main()
