"""Cross-document entity identity on ECB+ (``ecbplus_entity_identity``): newslake's entity ids against the gold.

The real flow reads the corpus's 484 articles (JSON lines with ``id`` and ``text``, as a user would feed them) into a
fresh warehouse; ``entities`` joined to ``articles`` are the predictions (``doc_id = source_id``) and the articles'
own texts carry the offsets over (newslake joins a JSON body's lines with blank lines). The corpus's scorer
(``../shared/tools/entity_identity_score.py``) scores them and its exact-string and head-word baselines, per part
(``bench/split.py``, keyed by ECB+ topic). The headline figure is pooled B³ F1 over all gold mentions; coverage is the
share of gold mentions a predicted mention overlaps (NER recall).

    .venv/bin/python -m bench.entity_identity [--corpora ../shared/corpora] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.split import PARTS, Part, part
from flows.cli import set_environment_defaults

set_environment_defaults()

from flows.news_pipeline import news_pipeline  # noqa: E402 (after the environment, as the CLI does)
from tasks.warehouse import storage  # noqa: E402

CORPUS = "ecbplus_entity_identity"
BASELINES = ("exact", "head")
FIGURES = ("coverage", "b3_P", "b3_R", "b3_F1", "pair_F1")


def _jsonl(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def gold_parts(corpus: Path, into: Path) -> dict[Part, Path]:
    """One gold folder per part: the articles of the part's topics and their mentions."""
    articles, mentions = _jsonl(corpus / "articles.jsonl.gz"), _jsonl(corpus / "mentions.jsonl.gz")
    folders: dict[Part, Path] = {}
    for wanted in PARTS:
        docs = [a for a in articles if part(str(a["topic"])) == wanted]
        ids = {a["id"] for a in docs}
        folder = folders[wanted] = into / wanted
        folder.mkdir(parents=True)
        for name, rows in (("articles", docs), ("mentions", [m for m in mentions if m["doc_id"] in ids])):
            with gzip.open(folder / f"{name}.jsonl.gz", "wt", encoding="utf-8") as fh:
                fh.writelines(json.dumps(row) + "\n" for row in rows)
    return folders


def run_pipeline(corpus: Path, work: Path) -> tuple[Path, Path]:
    """The flow over the corpus's articles; the predictions and the system texts as Parquet."""
    inbox, out = work / "ecbplus.jsonl", work / "warehouse"
    inbox.write_text("".join(json.dumps({"id": a["id"], "text": a["text"]}) + "\n"
                             for a in _jsonl(corpus / "articles.jsonl.gz")), encoding="utf-8")
    started = time.perf_counter()
    summary = news_pipeline(inputs=[str(inbox)], out=str(out))
    print(f"the flow: {summary.articles_in_run} articles, {sum(summary.quarantined.values())} quarantined "
          f"({time.perf_counter() - started:.0f} s)")
    predictions, texts = work / "predictions.parquet", work / "texts.parquet"
    con = storage.open_duckdb(out)
    con.sql("select a.source_id as doc_id, e.char_start, e.char_end, e.entity_id from entities e "
            "join articles a using (article_id)").write_parquet(str(predictions))
    con.sql("select source_id as doc_id, text from articles").write_parquet(str(texts))
    con.close()
    return predictions, texts


def score(gold: Path, *args: str) -> dict[str, float]:
    """The scorer's pooled figures (all gold mentions, clusters across all documents)."""
    out = gold / f"score-{abs(hash(args))}.json"
    subprocess.run([sys.executable, str(SCORER), str(gold), *args, "--json", str(out), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    pooled: dict[str, float] = json.loads(out.read_text(encoding="utf-8"))["pooled"]
    return pooled


SCORER = Path()


def main() -> None:
    global SCORER
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--keep", type=Path, help="keep the warehouse and predictions in this new folder")
    args = parser.parse_args()
    corpus = args.corpora / CORPUS
    SCORER = args.corpora.parent / "tools" / "entity_identity_score.py"
    if not corpus.is_dir() or not SCORER.is_file():
        sys.exit(f"no {corpus} or {SCORER}: pass --corpora")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        gold = gold_parts(corpus, work / "gold")
        predictions, texts = run_pipeline(corpus, work)
        systems = {f"{name} baseline": ("--baseline", name) for name in BASELINES}
        systems["newslake"] = (str(predictions), "--pred-texts", str(texts))
        results = {name: {p: score(gold[p], *argv) for p in PARTS} for name, argv in systems.items()}
    print(f"\nentity identity, {CORPUS}: validation part, pooled over all its gold mentions; development B3 F1 beside")
    print(f"{'system':<20}{'mentions':>9}" + "".join(f"{f:>9}" for f in FIGURES) + f"{'dev B3 F1':>11}")
    for name, by_part in results.items():
        val = by_part["validation"]
        print(f"{name:<20}{val['mentions']:>9.0f}" + "".join(f"{val[f]:>9.3f}" for f in FIGURES)
              + f"{by_part['development']['b3_F1']:>11.3f}")


if __name__ == "__main__":
    main()
