"""How much of a text language detection needs: py3langid on the opening N characters against the opening 5,000.

    .venv/bin/python -m bench.language_sample [--corpora ../shared/corpora] [--cuts 5000,3000,2000,1500,1000]

Texts: the first 1,000 AllSides bodies (English) and the article bodies newslake extracts from the first 300 pages
of ``htmldate_pubdate`` (German, French, Spanish, Japanese ...). Prints, per cut, the seconds py3langid took and
the texts whose label differs from the one on 5,000 characters: how ``tasks.clean.LANGUAGE_SAMPLE_CHARS`` was chosen.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from itertools import islice
from pathlib import Path

import py3langid

from tasks.clean import htmlpage


def load_texts(corpora: Path) -> list[str]:
    texts = []
    for page in sorted((corpora / "htmldate_pubdate" / "html").glob("*.html.gz"))[:300]:
        with gzip.open(page, "rt", encoding="utf-8", errors="replace") as fh:
            texts.append("\n\n".join(htmlpage.extract(fh.read(), None).paragraphs))
    with gzip.open(corpora / "allsides_news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        texts += [json.loads(line)["content_original"] for line in islice(fh, 1000)]
    return [t for t in texts if t]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, default=Path("../shared/corpora"))
    parser.add_argument("--cuts", default="5000,3000,2000,1500,1000")
    args = parser.parse_args()
    texts = load_texts(args.corpora)
    reference = [py3langid.classify(t[:5000])[0] for t in texts]
    print(f"{len(texts)} texts; labels on 5,000 characters: {dict(Counter(reference).most_common(8))}")
    for cut in (int(c) for c in args.cuts.split(",")):
        started = time.perf_counter()
        labels = [py3langid.classify(t[:cut])[0] for t in texts]
        seconds = time.perf_counter() - started
        differ = Counter((r, label) for r, label in zip(reference, labels, strict=True) if r != label)
        print(f"{cut:>6} characters: {seconds:5.2f} s, {sum(differ.values())} differ {dict(differ)}")


if __name__ == "__main__":
    main()
